"""The pure mask logic of avatar silhouettes (shared/companions/silhouette.py)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from shared.companions import silhouette as s


def test_meaningful_transparency_needs_both_transparent_and_opaque_pixels():
    opaque = np.full((100, 100), 255, np.uint8)
    assert not s.has_meaningful_transparency(opaque)
    assert not s.has_meaningful_transparency(np.zeros((100, 100), np.uint8))
    cut = opaque.copy()
    cut[:, :10] = 0  # 10% transparent
    assert s.has_meaningful_transparency(cut)
    speck = opaque.copy()
    speck[0, :50] = 0  # 0.5%: an artefact, not a cut-out
    assert not s.has_meaningful_transparency(speck)


def test_person_prior_labels_face_head_shoulders_and_the_background():
    labels = s.person_prior((200, 100, 100, 120), (500, 560))
    assert labels.shape == (560, 500)
    assert labels[160, 250] == s.FOREGROUND  # the face's core
    assert labels[110, 250] == s.PROBABLY_FOREGROUND  # forehead / hair
    assert labels[500, 60] == s.PROBABLY_FOREGROUND  # a shoulder, 1.9 face widths out
    assert labels[5, 250] == s.BACKGROUND  # above the head
    assert labels[150, 40] == s.PROBABLY_BACKGROUND  # beside the head
    assert set(np.unique(labels)) == {
        s.BACKGROUND,
        s.FOREGROUND,
        s.PROBABLY_BACKGROUND,
        s.PROBABLY_FOREGROUND,
    }


def test_component_at_keeps_only_the_region_with_the_point_and_fill_holes_closes_it():
    mask = np.zeros((50, 50), bool)
    mask[10:40, 10:40] = True
    mask[20:25, 20:25] = False  # a hole inside
    mask[0:5, 45:50] = True  # a stray blob
    kept = s.component_at(mask, (12, 12))
    assert not kept[2, 47] and kept[12, 12] and int(kept.sum()) == 30 * 30 - 25
    filled = s.fill_holes(kept)
    assert int(filled.sum()) == 30 * 30 and filled[22, 22]
    assert not s.component_at(mask, (0, 0)).any()


def test_feathered_alpha_is_full_size_with_a_soft_edge():
    mask = np.zeros((90, 160), bool)
    mask[:, 80:] = True
    alpha = s.feathered_alpha(mask, (1280, 720))
    assert alpha.shape == (720, 1280) and alpha.dtype == np.uint8
    assert alpha[360, 0] == 0 and alpha[360, -1] == 255
    row = alpha[360]
    between = int(np.sum((row > 0) & (row < 255)))
    assert 2 <= between <= 40  # a few pixels of soft edge, not a hard step or a blur


def test_an_image_without_a_face_has_no_silhouette():
    flat = Image.new("RGB", (1280, 720), (200, 120, 40))
    out = io.BytesIO()
    flat.save(out, format="JPEG")
    assert s.make_silhouette(out.getvalue()) is None


def test_own_alpha_of_a_png_is_the_upload_itself_and_opaque_png_has_none():
    image = Image.new("RGBA", (1280, 720), (0, 0, 0, 0))
    image.paste((10, 200, 30, 255), (400, 100, 880, 720))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert s.own_alpha_silhouette(out.getvalue()) == out.getvalue()
    assert s.make_silhouette(out.getvalue()) == (out.getvalue(), "alphaChannel")
    opaque = io.BytesIO()
    image.convert("RGB").convert("RGBA").save(opaque, format="PNG")
    assert s.own_alpha_silhouette(opaque.getvalue()) is None
