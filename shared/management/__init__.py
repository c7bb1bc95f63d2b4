"""The management plane's domain: organizations, their members and roles, projects, and API keys.

Rules (``roles``, ``roster``, ``providers``, ``api_keys``, ``users``) are plain functions over plain
data; ``store`` is the one place that reads and writes the management tables.
"""
