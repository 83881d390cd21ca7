"""Draw the integration's brand images (icon and logo) with Pillow.

Run: .venv/bin/python scripts/draw_brand.py  (writes custom_components/apsystems_ema/brand/)
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "custom_components" / "apsystems_ema" / "brand"
SUN = (255, 176, 32, 255)
PANEL = (28, 76, 140, 255)
GRID = (120, 170, 230, 255)


def icon(size: int) -> Image.Image:
    """A sun rising behind a tilted solar panel, on a transparent background."""
    scale = 4  # draw large, then downsample for smooth edges
    s = size * scale
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    cx, cy, r = s * 0.62, s * 0.34, s * 0.17
    for i in range(12):
        angle = math.tau * i / 12
        inner, outer = r * 1.3, r * 1.75
        draw.line(
            (
                cx + inner * math.cos(angle),
                cy + inner * math.sin(angle),
                cx + outer * math.cos(angle),
                cy + outer * math.sin(angle),
            ),
            fill=SUN,
            width=int(s * 0.035),
        )
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=SUN)
    # Panel: a parallelogram with a 3 x 4 cell grid.
    top_left, top_right = (s * 0.22, s * 0.50), (s * 0.82, s * 0.50)
    bottom_right, bottom_left = (s * 0.94, s * 0.88), (s * 0.06, s * 0.88)
    draw.polygon([top_left, top_right, bottom_right, bottom_left], fill=PANEL)
    width = int(s * 0.012)
    for i in range(1, 4):
        t = i / 4
        draw.line(
            (
                top_left[0] + (top_right[0] - top_left[0]) * t,
                top_left[1],
                bottom_left[0] + (bottom_right[0] - bottom_left[0]) * t,
                bottom_left[1],
            ),
            fill=GRID,
            width=width,
        )
    for j in range(1, 3):
        t = j / 3
        y = top_left[1] + (bottom_left[1] - top_left[1]) * t
        x0 = top_left[0] + (bottom_left[0] - top_left[0]) * t
        x1 = top_right[0] + (bottom_right[0] - top_right[0]) * t
        draw.line((x0, y, x1, y), fill=GRID, width=width)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int) -> Image.Image:
    """The icon followed by the word mark."""
    mark = icon(height)
    font_size = int(height * 0.42)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans-Bold.ttf", font_size
        )
    except OSError:
        font = ImageFont.load_default(font_size)
    text = "APsystems EMA"
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    img = Image.new("RGBA", (height + int(height * 0.15) + right - left, height), (0, 0, 0, 0))
    img.paste(mark, (0, 0), mark)
    draw = ImageDraw.Draw(img)
    y = (height - (bottom - top)) / 2 - top
    draw.text((height + int(height * 0.15) - left, y), text, font=font, fill=PANEL)
    return img


def main() -> None:
    """Write the four brand files."""
    OUT.mkdir(parents=True, exist_ok=True)
    icon(256).save(OUT / "icon.png", optimize=True)
    icon(512).save(OUT / "icon@2x.png", optimize=True)
    logo(128).save(OUT / "logo.png", optimize=True)
    logo(256).save(OUT / "logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
