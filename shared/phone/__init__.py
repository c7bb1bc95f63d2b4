"""The phone channel's domain: Azure Communication Services settings, client and callback checks."""
