"""Helpers shared by the Spark tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_parts(tracks: pd.DataFrame, folder: Path, parts: int) -> Path:
    """``tracks`` as ``parts`` Parquet files whose names sort in catalog order."""
    folder.mkdir(parents=True)
    for number, chunk in enumerate(np.array_split(np.arange(len(tracks)), parts)):
        tracks.iloc[chunk].to_parquet(folder / f"part-{number:03d}.parquet", index=False)
    return folder
