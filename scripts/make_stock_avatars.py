"""Draw the stock companions' built-in avatars into shared/companions/stock_avatars/.

Each companion gets a stylized 1280x720 (16:9) bust drawn with Pillow (head, hair, neck, shoulders) on a
soft vertical gradient (``<slug>.png``) and the same figure on a transparent background as its silhouette
(``<slug>-silhouette.png``). Deterministic: the outputs are committed; run again after changing a look:

    .venv/bin/python scripts/make_stock_avatars.py
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1280, 720
SCALE = 2  # drawn at twice the size and scaled down: smooth edges without anti-aliased primitives
OUT = Path(__file__).resolve().parent.parent / "shared" / "companions" / "stock_avatars"

Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    slug: str
    skin: Rgb
    hair: Rgb
    shirt: Rgb
    top: Rgb  # background gradient, top
    bottom: Rgb  # background gradient, bottom
    long_hair: bool


LOOKS = (
    Look("ava", (241, 205, 180), (196, 150, 80), (52, 120, 190), (222, 234, 246), (168, 196, 226), True),
    Look("kenji", (230, 196, 160), (30, 28, 32), (60, 64, 72), (232, 236, 228), (180, 194, 176), False),
    Look("amara", (140, 92, 64), (24, 18, 16), (200, 90, 70), (248, 230, 214), (224, 180, 150), True),
    Look("mateo", (206, 160, 120), (56, 36, 24), (40, 110, 90), (240, 232, 210), (204, 186, 150), False),
    Look("river", (214, 170, 140), (120, 60, 140), (230, 170, 60), (236, 226, 246), (190, 170, 220), False),
)


def _figure(look: Look) -> Image.Image:
    """The bust alone on transparency, at SCALE times the output size."""
    w, h = WIDTH * SCALE, HEIGHT * SCALE
    s = SCALE
    figure = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(figure)
    cx = w // 2
    if look.long_hair:  # hair behind the head and down to the shoulders
        draw.rounded_rectangle((cx - 150 * s, 150 * s, cx + 150 * s, 480 * s), 120 * s, fill=look.hair)
    draw.ellipse((cx - 330 * s, 470 * s, cx + 330 * s, 900 * s), fill=look.shirt)  # shoulders
    draw.rectangle((cx - 330 * s, 690 * s, cx + 330 * s, h), fill=look.shirt)
    neck = tuple(max(0, c - 18) for c in look.skin)
    draw.rectangle((cx - 50 * s, 360 * s, cx + 50 * s, 500 * s), fill=neck)
    draw.ellipse((cx - 70 * s, 440 * s, cx + 70 * s, 540 * s), fill=neck)  # the collar's opening
    draw.ellipse((cx - 115 * s, 140 * s, cx + 115 * s, 420 * s), fill=look.skin)  # head
    draw.ellipse((cx - 125 * s, 250 * s, cx - 95 * s, 310 * s), fill=look.skin)  # ears
    draw.ellipse((cx + 95 * s, 250 * s, cx + 125 * s, 310 * s), fill=look.skin)
    draw.chord((cx - 122 * s, 120 * s, cx + 122 * s, 330 * s), 180, 360, fill=look.hair)  # hair on top
    eye = (50, 40, 40)
    for dx in (-45, 45):
        draw.ellipse((cx + (dx - 11) * s, 272 * s, cx + (dx + 11) * s, 290 * s), fill=eye)
    draw.arc((cx - 40 * s, 320 * s, cx + 40 * s, 370 * s), 20, 160, fill=(150, 70, 70), width=5 * s)
    return figure


def _background(look: Look) -> Image.Image:
    gradient = Image.new("RGB", (1, HEIGHT))
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(look.top, look.bottom, strict=True))
        gradient.putpixel((0, y), colour)
    return gradient.resize((WIDTH, HEIGHT)).filter(ImageFilter.GaussianBlur(2))


def render(look: Look) -> tuple[Image.Image, Image.Image]:
    """(the portrait on its background, the silhouette with transparency), both WIDTH x HEIGHT."""
    silhouette = _figure(look).resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    portrait = _background(look).convert("RGBA")
    portrait.alpha_composite(silhouette)
    return portrait.convert("RGB"), silhouette


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for look in LOOKS:
        portrait, silhouette = render(look)
        portrait.save(OUT / f"{look.slug}.png", optimize=True)
        silhouette.save(OUT / f"{look.slug}-silhouette.png", optimize=True)
        sizes = [(OUT / name).stat().st_size for name in (f"{look.slug}.png", f"{look.slug}-silhouette.png")]
        print(look.slug, sizes)


if __name__ == "__main__":
    main()
