"""The avatar image rule: what an uploaded avatar must be, judged by its bytes (never by a file name or
the request's Content-Type).

JPEG, PNG or WebP (opened with Pillow, which reads the format from the content); at most 10 MB; 16:9
within ±2%; at least 1280x720; one still frame. Plain function over bytes, no I/O.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from shared.api_errors import invalid_field, payload_too_large, unsupported_media_type

MAX_AVATAR_BYTES = 10 * 1024 * 1024
MIN_WIDTH, MIN_HEIGHT = 1280, 720
ASPECT_RATIO = 16 / 9
ASPECT_TOLERANCE = 0.02
# Far above any real avatar; refuses "decompression bombs" before any pixel is decoded.
MAX_PIXELS = 50_000_000

# Pillow format name -> (content type, file extension)
ACCEPTED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPTED_CONTENT_TYPES = tuple(content_type for content_type, _ in ACCEPTED_FORMATS.values())


@dataclass(frozen=True)
class AvatarImage:
    """An accepted avatar: what its bytes are, not what the request claimed."""

    content_type: str
    extension: str
    width: int
    height: int
    size_bytes: int


def check_avatar(data: bytes) -> AvatarImage:
    """The accepted image, or the ``ApiError`` to answer: 413 too large, 415 not a JPEG/PNG/WebP image,
    400 a wrong shape or size (naming the measured size and the rule)."""
    if len(data) > MAX_AVATAR_BYTES:
        raise payload_too_large(
            f"The avatar image is {len(data)} bytes; the limit is {MAX_AVATAR_BYTES} bytes (10 MB)."
        )
    accepted = ", ".join(ACCEPTED_CONTENT_TYPES)
    if not data:
        raise unsupported_media_type(f"The request body is empty: send the image bytes ({accepted}).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image_format = image.format or ""
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            if image_format in ACCEPTED_FORMATS and width * height <= MAX_PIXELS:
                image.verify()  # structural check (PNG chunk CRCs, truncation) without decoding pixels
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise unsupported_media_type(
            f"The body is not an image of an accepted type; send the raw bytes of one of: {accepted}."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise invalid_field("body", "the image file is damaged or truncated") from None
    if image_format not in ACCEPTED_FORMATS:
        raise unsupported_media_type(
            f"The image is {image_format or 'of an unknown format'}; accepted types: {accepted}."
        )
    if width * height > MAX_PIXELS:
        raise invalid_field("body", f"the image is {width}x{height}; at most {MAX_PIXELS} pixels are allowed")
    if frames > 1:
        raise invalid_field("body", f"the image is animated ({frames} frames); an avatar is one still image")
    problems = avatar_shape_problems(width, height)
    if problems:
        raise invalid_field("body", "; ".join(problems))
    content_type, extension = ACCEPTED_FORMATS[image_format]
    return AvatarImage(content_type, extension, width, height, len(data))


def avatar_shape_problems(width: int, height: int) -> list[str]:
    """What is wrong with an avatar of this size: the measured size and each rule it breaks."""
    problems = []
    ratio = width / height if height else 0.0
    if height == 0 or abs(ratio / ASPECT_RATIO - 1) > ASPECT_TOLERANCE:
        problems.append(
            f"the image is {width}x{height} (aspect ratio {ratio:.3f}); avatars must be 16:9 "
            f"({ASPECT_RATIO:.3f}) within ±{ASPECT_TOLERANCE:.0%}"
        )
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        problems.append(f"the image is {width}x{height}; avatars must be at least {MIN_WIDTH}x{MIN_HEIGHT}")
    return problems
