"""What can go wrong in storage, as one small hierarchy the API layer maps to HTTP answers.

``NotFound`` -> 404, ``AlreadyExists`` -> 409, ``ConcurrencyConflict`` -> 412, ``InvalidCursor`` -> 400.
Bad names and keys are programming or input errors caught before any request: they raise ``ValueError``.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage failure the caller is expected to handle."""


class NotFound(StorageError):
    """The entity or blob does not exist."""


class AlreadyExists(StorageError):
    """An entity with this partition and id already exists."""


class ConcurrencyConflict(StorageError):
    """The entity changed since it was read: its ETag no longer matches."""


class InvalidCursor(StorageError):
    """A page cursor was not produced by this listing (malformed, tampered or for another partition)."""
