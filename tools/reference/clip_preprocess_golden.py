#!/usr/bin/python3
"""Golden outputs of Hugging Face's CLIPImageProcessor (PIL backend) for the test photos.

transformers is not installed here, so this replicates CLIPImageProcessor.preprocess step by step
with Pillow and numpy, following transformers' image_transforms:

  convert_to_rgb     non-RGB images are alpha-composited onto white (all test photos are RGB)
  resize             get_resize_output_image_size(default_to_square=False): the short side becomes
                     shortest_edge, the long side int(shortest_edge * long / short) (truncated);
                     then PIL Image.resize((w, h), resample=BICUBIC, reducing_gap=None) on uint8
  center_crop        top = (h - crop_h) // 2, left = (w - crop_w) // 2 (no padding needed here)
  rescale            (image.astype(float64) * rescale_factor).astype(float32)
  normalize          (image - float32(mean)) / float32(std), in float32
  channels first     [3, crop_h, crop_w]

Writes float32 little-endian CHW .bin files and manifest.json to
gpu-worker/src/test/resources/photos/golden/. Run from anywhere with Debian's Python:

    /usr/bin/python3 tools/reference/clip_preprocess_golden.py
"""
import hashlib
import json
import os

import numpy as np
import PIL
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PHOTOS = os.path.join(ROOT, "gpu-worker", "src", "test", "resources", "photos")
OUT = os.path.join(PHOTOS, "golden")

MEAN = [0.48145466, 0.4578275, 0.40821073]  # OPENAI_CLIP_MEAN
STD = [0.26862954, 0.26130258, 0.27577711]  # OPENAI_CLIP_STD
RESCALE = 0.00392156862745098  # rescale_factor in LLaVA-1.5's preprocessor_config.json (1/255)

# (photo, shortest_edge, crop). 64 for every photo; LLaVA-1.5's real 336 for one (1.35 MB each).
CASES = [
    ("rocket.jpg", 64, 64),
    ("chelsea.png", 64, 64),
    ("coffee.png", 64, 64),
    ("chelsea.png", 336, 336),
]


def convert_to_rgb(image):
    """transformers.image_transforms.convert_to_rgb."""
    if image.mode == "RGB":
        return image
    image_rgba = image.convert("RGBA")
    background = Image.new("RGBA", image_rgba.size, (255, 255, 255))
    return Image.alpha_composite(background, image_rgba).convert("RGB")


def resize_output_size(height, width, shortest_edge):
    """get_resize_output_image_size(size=shortest_edge, default_to_square=False) -> (h, w)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def center_crop(image, crop_h, crop_w):
    """image_transforms.center_crop for HWC arrays that are at least the crop size."""
    h, w = image.shape[:2]
    top = (h - crop_h) // 2
    left = (w - crop_w) // 2
    assert top >= 0 and left >= 0, "padding case not needed for these goldens"
    return image[top:top + crop_h, left:left + crop_w], top, left


def preprocess(path, shortest_edge, crop):
    image = convert_to_rgb(Image.open(path))
    arr = np.array(image)  # HWC uint8, as to_numpy_array gives
    new_h, new_w = resize_output_size(arr.shape[0], arr.shape[1], shortest_edge)
    resized = np.array(Image.fromarray(arr).resize((new_w, new_h), resample=Image.BICUBIC, reducing_gap=None))
    cropped, top, left = center_crop(resized, crop, crop)
    rescaled = (cropped.astype(np.float64) * RESCALE).astype(np.float32)
    mean = np.array(MEAN, dtype=np.float32)
    std = np.array(STD, dtype=np.float32)
    normalized = (rescaled - mean) / std
    assert normalized.dtype == np.float32
    chw = np.ascontiguousarray(normalized.transpose(2, 0, 1))
    return chw, (new_h, new_w), (top, left), image.size


def main():
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for photo, shortest_edge, crop in CASES:
        path = os.path.join(PHOTOS, photo)
        chw, (new_h, new_w), (top, left), (w, h) = preprocess(path, shortest_edge, crop)
        name = "%s.se%d.crop%d.f32" % (os.path.splitext(photo)[0], shortest_edge, crop)
        data = chw.astype("<f4").tobytes()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        entries.append({
            "photo": photo,
            "image_size": [h, w],
            "shortest_edge": shortest_edge,
            "crop_size": crop,
            "resized_size": [new_h, new_w],
            "crop_offset": [top, left],
            "shape": list(chw.shape),
            "dtype": "float32-le",
            "layout": "CHW",
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
        })
        print("%-12s se=%-3d crop=%-3d %dx%d -> resized %dx%d, crop at (%d, %d) -> %s"
              % (photo, shortest_edge, crop, w, h, new_w, new_h, top, left, name))
    manifest = {
        "generator": "tools/reference/clip_preprocess_golden.py",
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "image_mean": MEAN,
        "image_std": STD,
        "rescale_factor": RESCALE,
        "resample": 3,
        "entries": entries,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
