"""Byte-for-byte reproducible PNGs: Agg backend, fixed size and DPI, no metadata."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": False,
}


def new_figure(rows: int, cols: int, width: float, height: float):
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(rows, cols, figsize=(width, height), squeeze=False)
    return figure, axes


def save(figure, out_dir: Path, name: str) -> str:
    """Write `name` into out_dir without the Software tag (the only varying PNG metadata)."""
    with plt.rc_context(STYLE):
        figure.tight_layout()
        figure.savefig(Path(out_dir) / name, format="png", metadata={"Software": None})
    plt.close(figure)
    return name
