#!/usr/bin/python3
"""Writes the small decoder test fixtures that Java's ImageIO cannot write itself.

Run from the repository root with Debian's /usr/bin/python3 (Pillow + numpy):

    /usr/bin/python3 tools/reference/make_decoder_fixtures.py

Outputs (all tiny) go to gpu-worker/src/test/resources/images/:
  chelsea_lossy.webp   VP8 (lossy) WebP, a 96x64 crop of photos/chelsea.png
  alpha_lossless.webp  VP8L (lossless) WebP with an alpha channel, a 24x16 synthetic pattern
  cmyk_adobe.jpg       a 24x16 CMYK JPEG (Pillow writes an Adobe APP14 marker, inverted CMYK)
  chelsea_lossy.pil.png  how Pillow (libwebp) decodes chelsea_lossy.webp, to measure the Java
                       WebP decoder against
and prints the pixel values Pillow decodes for them, which ImageDecoderTest pins.
"""
import os
import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RES = os.path.join(ROOT, "gpu-worker", "src", "test", "resources")
OUT = os.path.join(RES, "images")


def alpha_pattern():
    """24x16 RGBA: r = 10*x, g = 15*y, b = 200, a = 17*(x % 16) (a=0 on x=0,16)."""
    h, w = 16, 24
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.stack([10 * x, 15 * y, np.full_like(x, 200), 17 * (x % 16)], axis=-1)
    return Image.fromarray(rgba.astype(np.uint8), "RGBA")


def cmyk_pattern():
    """24x16 CMYK: c = 10*x, m = 15*y, y = 128, k = 4*(x+y)."""
    h, w = 16, 24
    y, x = np.mgrid[0:h, 0:w]
    cmyk = np.stack([10 * x, 15 * y, np.full_like(x, 128), 4 * (x + y)], axis=-1)
    return Image.fromarray(cmyk.astype(np.uint8), "CMYK")


def main():
    os.makedirs(OUT, exist_ok=True)
    chelsea = Image.open(os.path.join(RES, "photos", "chelsea.png")).convert("RGB")
    chelsea.crop((150, 60, 246, 124)).save(os.path.join(OUT, "chelsea_lossy.webp"), quality=75, method=4)
    alpha_pattern().save(os.path.join(OUT, "alpha_lossless.webp"), lossless=True, exact=True)
    cmyk_pattern().save(os.path.join(OUT, "cmyk_adobe.jpg"), quality=95)
    Image.open(os.path.join(OUT, "chelsea_lossy.webp")).convert("RGB").save(os.path.join(OUT, "chelsea_lossy.pil.png"))

    for name in ("chelsea_lossy.webp", "alpha_lossless.webp", "cmyk_adobe.jpg"):
        path = os.path.join(OUT, name)
        im = Image.open(path)
        print(name, os.path.getsize(path), "bytes", im.mode, im.size)
    # What HF's convert_to_rgb (alpha composite on white) gives for the fixtures, pinned in the Java tests.
    cmyk_rgb = np.asarray(Image.open(os.path.join(OUT, "cmyk_adobe.jpg")).convert("RGB"))
    for (x, y) in ((0, 0), (5, 3), (23, 15)):
        print("cmyk_adobe.jpg PIL RGB at", (x, y), cmyk_rgb[y, x].tolist())
    rgba = Image.open(os.path.join(OUT, "alpha_lossless.webp")).convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255))
    comp = np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    for (x, y) in ((0, 0), (1, 2), (8, 5), (15, 15), (16, 0)):
        print("alpha_lossless.webp composited at", (x, y), comp[y, x].tolist())


if __name__ == "__main__":
    main()
