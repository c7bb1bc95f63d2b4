"""Why a file cannot become knowledge, each with the status and code the API answers."""

from __future__ import annotations

from shared.api_errors import ApiError, ErrorKind, payload_too_large, unsupported_media_type
from shared.knowledge.extraction.formats import SUPPORTED_CONTENT_TYPES, SUPPORTED_DESCRIPTION


class DocumentError(Exception):
    """A file that cannot become knowledge; ``status`` and ``code`` are what the API answers."""

    status = 422
    code = "DocumentNotProcessable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def api_error(self) -> ApiError:
        return ApiError(self.status, self.code, self.message, ErrorKind.VALIDATION)


class DocumentTooLarge(DocumentError):
    """413: over ``limit`` (bytes of the file, of its unpacked parts, or characters of its text)."""

    status = 413
    code = "PayloadTooLarge"

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit

    def api_error(self) -> ApiError:
        return payload_too_large(self.message)


class UnsupportedDocument(DocumentError):
    """415: not one of ``SUPPORTED_TYPES``; the message names them."""

    status = 415
    code = "UnsupportedMediaType"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} Supported: {SUPPORTED_DESCRIPTION} ({', '.join(SUPPORTED_CONTENT_TYPES)}).")
        self.supported = SUPPORTED_CONTENT_TYPES

    def api_error(self) -> ApiError:
        return unsupported_media_type(self.message)


class NoTextFound(DocumentError):
    """422: the file holds no text (a scanned PDF without a text layer, an empty document)."""

    code = "NoTextFound"


class UnreadableDocument(DocumentError):
    """422: the file says it is a supported type but is damaged, truncated or encrypted."""

    code = "DocumentUnreadable"
