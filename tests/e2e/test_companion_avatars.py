"""Avatar silhouettes and the stock avatar images through devhost + Azurite: a real photograph is cut out
in the background, a PNG's own alpha is kept, replacing or deleting removes the silhouette, the stock
images are served to anyone (and nothing else is), and blob reads answer CORS for any origin."""

from __future__ import annotations

import io
import time
from importlib import resources

import numpy as np
import requests
from PIL import Image, ImageDraw

from tests.e2e.test_companions import avatar_blobs, create, put_avatar, wait_until_prepared


def photo_on_canvas(width: int = 1280, height: int = 720) -> bytes:
    """Grace Hopper's portrait (a photograph matplotlib ships in its wheel) centred on an opaque 16:9
    canvas of a flat grey-blue, as JPEG."""
    portrait = Image.open(resources.files("matplotlib") / "mpl-data/sample_data/grace_hopper.jpg")
    portrait = portrait.convert("RGB").resize((round(portrait.width * height / portrait.height), height))
    canvas = Image.new("RGB", (width, height), (90, 110, 140))
    canvas.paste(portrait, ((width - portrait.width) // 2, 0))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90)
    return out.getvalue()


def cut_out_png(width: int = 1280, height: int = 720) -> bytes:
    """An RGBA PNG: an opaque ellipse (the "person") on a transparent background."""
    alpha = Image.new("L", (width, height), 0)
    ImageDraw.Draw(alpha).ellipse((440, 100, 840, 720), fill=255)
    image = Image.new("RGB", (width, height), (30, 140, 90))
    image.putalpha(alpha)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def rgba_of(url: str) -> np.ndarray:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].split(";")[0] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.mode == "RGBA"
    return np.asarray(image)


def test_a_photograph_is_cut_out_into_a_silhouette_with_transparent_corners(platform, project_key):
    companion = create(platform, project_key)
    response = put_avatar(platform, project_key, companion["id"], photo_on_canvas(), "image/jpeg")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["avatar"]["silhouette"] == "preparing"

    ready = wait_until_prepared(platform, project_key, companion["id"])
    assert ready["status"] == "readyToUse" and ready["avatar"]["silhouette"] == "cutOut"
    alpha = rgba_of(ready["avatar"]["silhouetteUrl"])[:, :, 3]
    assert alpha.shape == (720, 1280)
    corners = [alpha[0, 0], alpha[0, -1], alpha[-1, 0], alpha[-1, -1], alpha[360, 20], alpha[360, -20]]
    assert corners == [0, 0, 0, 0, 0, 0]
    # the face (about the middle of the upper half) and the uniform below it are the person
    assert alpha[250, 640] == 255 and alpha[600, 640] == 255
    assert 0.15 < float(np.mean(alpha > 128)) < 0.6
    names = avatar_blobs(platform, project_key.project_id)
    assert len(names) == 2 and sum(name.endswith(".png") and "silhouette-" in name for name in names) == 1


def test_a_png_with_alpha_is_its_own_silhouette_and_ready_at_once(platform, project_key):
    companion = create(platform, project_key)
    png = cut_out_png()
    response = put_avatar(platform, project_key, companion["id"], png, "image/png")
    assert response.status_code == 200, response.text
    answered = response.json()
    assert answered["status"] == "readyToUse" and answered["avatar"]["silhouette"] == "alphaChannel"
    silhouette = requests.get(answered["avatar"]["silhouetteUrl"], timeout=30)
    assert silhouette.content == png  # the upload itself: its alpha kept exactly
    alpha = rgba_of(answered["avatar"]["silhouetteUrl"])[:, :, 3]
    assert alpha[0, 0] == 0 and alpha[400, 640] == 255


def test_replacing_the_avatar_then_deleting_the_companion_removes_the_silhouettes(platform, project_key):
    companion = create(platform, project_key)
    first = put_avatar(platform, project_key, companion["id"], cut_out_png(), "image/png").json()
    first_silhouette = first["avatar"]["silhouetteUrl"]
    assert requests.get(first_silhouette, timeout=30).status_code == 200

    put_avatar(platform, project_key, companion["id"], photo_on_canvas(), "image/jpeg")
    assert requests.get(first_silhouette, timeout=30).status_code == 404
    ready = wait_until_prepared(platform, project_key, companion["id"])
    assert ready["avatar"]["silhouette"] == "cutOut"
    names = avatar_blobs(platform, project_key.project_id)
    assert len(names) == 2 and any(name.endswith("/avatar.jpg") for name in names)

    url = platform.url(f"/public/companions/{companion['id']}")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204
    assert avatar_blobs(platform, project_key.project_id) == []
    assert requests.get(ready["avatar"]["silhouetteUrl"], timeout=30).status_code == 404


def test_a_companion_deleted_while_its_silhouette_is_prepared_leaves_no_blob(platform, project_key):
    companion = create(platform, project_key)
    put_avatar(platform, project_key, companion["id"], photo_on_canvas(), "image/jpeg")
    url = platform.url(f"/public/companions/{companion['id']}")
    assert requests.delete(url, headers=project_key.headers, timeout=30).status_code == 204
    # the cut-out finishes after the delete, finds the companion gone and removes what it wrote
    polls_left = 100
    while avatar_blobs(platform, project_key.project_id) and polls_left:
        polls_left -= 1
        time.sleep(0.2)
    assert avatar_blobs(platform, project_key.project_id) == []


def test_stock_avatars_are_served_to_anyone_and_unknown_names_are_404(platform, project_key):
    stock = requests.get(
        platform.url("/public/companions/napster-stock"), headers=project_key.headers, timeout=30
    ).json()
    assert stock["totalCount"] == len(stock["items"]) == 5
    for item in stock["items"]:
        image = requests.get(item["previewUrl"], headers={"Origin": "https://example.org"}, timeout=30)
        assert image.status_code == 200 and image.headers["Content-Type"].split(";")[0] == "image/png"
        assert image.headers["Access-Control-Allow-Origin"] == "*"
        assert "max-age" in image.headers["Cache-Control"]
        assert Image.open(io.BytesIO(image.content)).size == (1280, 720)
        silhouette = rgba_of(item["previewUrl"].replace(".png", "-silhouette.png"))
        assert silhouette[0, 0, 3] == 0 and silhouette[400, 640, 3] == 255
    base = platform.url("/static/stock-avatars/")
    for name in ("nobody.png", "ava.jpg", "..%2F..%2Fhost.json", "%2e%2e", ".ava.png", "ava.png%00"):
        assert requests.get(base + name, timeout=30).status_code == 404, name
    assert requests.get(base + "../../../host.json", timeout=30).status_code == 404


def test_blob_reads_answer_cors_for_any_origin(platform, project_key):
    companion = create(platform, project_key)
    answered = put_avatar(platform, project_key, companion["id"], cut_out_png(), "image/png").json()
    origin = "https://shop.example.com"
    for url in (answered["previewUrl"], answered["avatar"]["silhouetteUrl"]):
        read = requests.get(url, headers={"Origin": origin}, timeout=30)
        assert read.status_code == 200
        assert read.headers.get("Access-Control-Allow-Origin") in ("*", origin)
        preflight = requests.options(
            url, headers={"Origin": origin, "Access-Control-Request-Method": "GET"}, timeout=30
        )
        assert preflight.status_code == 200
        assert preflight.headers.get("Access-Control-Allow-Origin") in ("*", origin)
