"""Billing through the Azure Marketplace: the client of Microsoft's SaaS Fulfillment, Operations and
Metering APIs (``marketplace``), the webhook's token check (``webhook_auth``), subscriptions and their
rules (``subscriptions``) and what a subscription's state means for an organization (``enforcement``).
Billing is off (nothing metered, nothing enforced) while the Marketplace settings are not set."""
