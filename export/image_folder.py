"""Calibration inputs from a folder of pictures (`export MODEL.keras --calibration-data DIR`).

    x, notes = load_image_folder("calib/", (96, 96, 3), resize=False)
    x       # (N, 96, 96, 3) float32 in [0, 1]: pixels p -> p / 255, N >= 1
    notes   # ("12 pictures from calib", "96x96 RGB PNG (10)", "96x96 RGB JPEG (2)",
            #  "pixels p -> p / 255 (12)")

Every .png, .jpg and .jpeg directly inside the folder (not its subfolders), in name order, is
decoded by pillow to (H, W, C) uint8 and fitted to the model's input by the rules `predict`
uses (runtime/predict_input.py `fit_picture`): used as it is when its size and channels are the
model's (an opaque alpha channel dropped, equal R, G and B read as grey); resizing (area
averaging) or converting colours (RGB to grey, grey to RGB, alpha composited on black) is
refused unless resize=True, and then named. Never inverted: calibration pictures are taken as
the model will see them. Scaling is fixed: p / 255, so the model must expect inputs in [0, 1]
(a model trained on other scales needs a .npy of its own inputs instead).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from tinyflash.errors import UserError

__all__ = ["IMAGE_SUFFIXES", "MAX_PIXELS", "load_image_folder", "read_picture"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_PIXELS = 1 << 25  # per picture, checked before decoding (no decompression bombs)
CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def read_picture(path: Path) -> tuple[np.ndarray, str]:
    """A PNG or JPEG file -> ((H, W, C) uint8 with C 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA, its
    description such as "32x32 RGB PNG" or "32x32 RGB JPEG, converted from palette")."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise UserError(
                    f"{path}: {im.width}x{im.height} pixels; supported: up to {MAX_PIXELS:,}"
                )
            kind, mode = im.format or path.suffix[1:].upper(), im.mode
            if mode in CHANNELS:
                pixels = np.asarray(im, dtype=np.uint8)
            else:  # palette, 1-bit, 16-bit grey, CMYK, ...
                alpha = "A" in im.getbands() or "transparency" in im.info
                pixels = np.asarray(im.convert("RGBA" if alpha else "RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise UserError(f"{path}: not a readable PNG or JPEG ({exc})") from None
    pixels = pixels.reshape(*pixels.shape[:2], -1)  # (H, W) grey -> (H, W, 1)
    names = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA"}
    text = f"{pixels.shape[0]}x{pixels.shape[1]} {names[pixels.shape[2]]} {kind}"
    return pixels, text + ("" if mode in CHANNELS else f", converted from mode {mode}")


def load_image_folder(
    folder: str | Path, shape: tuple[int, ...], resize: bool = False
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(x (N, *shape) float32 in [0, 1], notes: what was done, counted per picture) of the
    pictures in `folder` (module doc). UserError naming the folder or the picture otherwise."""
    from tinyflash.runtime.predict_input import fit_picture

    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file())
    pictures = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if not pictures:
        raise UserError(
            f"{folder}: no pictures ({', '.join(IMAGE_SUFFIXES)}) in this folder, found "
            f"{len(files)} other files; expected at least 1 (or give a .npy / .npz file)"
        )
    rows: list[np.ndarray] = []
    counts: Counter[str] = Counter()
    for path in pictures:
        pixels, text = read_picture(path)
        x, notes = fit_picture(pixels, shape, resize, False, str(path))
        rows.append(x[0])
        counts.update([text, *notes[1:]])
    notes = [f"{len(pictures)} pictures from {folder.name}/"]
    notes += [f"{note} ({n})" for note, n in counts.items()]
    if len(files) > len(pictures):
        notes.append(f"{len(files) - len(pictures)} other files ignored")
    return np.stack(rows).astype(np.float32), tuple(notes)
