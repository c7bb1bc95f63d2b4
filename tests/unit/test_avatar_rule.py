"""The avatar rule, judged by the image's bytes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.api_errors import ApiError
from shared.companions.avatar import MAX_AVATAR_BYTES, avatar_shape_problems, check_avatar


def image_bytes(width: int, height: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_accepted_formats_are_recognised_by_content(fmt, content_type, extension):
    data = image_bytes(1280, 720, fmt)
    image = check_avatar(data)
    assert (image.content_type, image.extension, image.width, image.height) == (
        content_type,
        extension,
        1280,
        720,
    )
    assert image.size_bytes == len(data)


def status_of(data: bytes) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        check_avatar(data)
    return caught.value.status, caught.value.description


def test_gif_and_text_are_unsupported_media_types_naming_the_accepted_ones():
    for data in (image_bytes(1280, 720, "GIF"), b"just some text pretending to be a png"):
        status, description = status_of(data)
        assert status == 415
        assert "image/jpeg" in description and "image/png" in description and "image/webp" in description


def test_too_large_is_413_with_the_limit():
    status, description = status_of(b"\0" * (MAX_AVATAR_BYTES + 1))
    assert status == 413 and str(MAX_AVATAR_BYTES) in description


def test_wrong_aspect_and_too_small_name_the_measured_size():
    status, description = status_of(image_bytes(1600, 1200, "PNG"))
    assert status == 400 and "1600x1200" in description and "16:9" in description
    status, description = status_of(image_bytes(1000, 562, "PNG"))
    assert status == 400 and "1000x562" in description and "1280x720" in description


def test_truncated_png_is_refused():
    data = image_bytes(1280, 720, "PNG")
    status, _ = status_of(data[: len(data) // 2])
    assert status in (400, 415)


@pytest.mark.parametrize(
    ("width", "height"), [(1280, 720), (1920, 1080), (1305, 720), (1920, 1060), (1300, 740)]
)
def test_sixteen_by_nine_within_two_percent_passes(width, height):
    assert avatar_shape_problems(width, height) == []


@pytest.mark.parametrize(("width", "height"), [(1320, 720), (1280, 700), (1280, 960), (720, 1280)])
def test_outside_two_percent_fails(width, height):
    assert avatar_shape_problems(width, height)
