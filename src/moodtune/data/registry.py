"""The dataset registry: names, checksums or content checks, a local mirror, and public URLs.

Datasets are fetched the way scikit-learn and librosa fetch theirs: from the cache when it
holds a verified copy, else from the local mirror directory, else (unless offline) from the
public URL with pooch. Every file is verified before use and converted once to Parquet.
A file that fails its check is never used, and the error names the file and the check.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from moodtune.artefacts import PRIVATE_FILE_MODE, make_private, private_dir
from moodtune.config import Settings, get_settings
from moodtune.errors import DataIntegrityError, InputError

__all__ = [
    "REGISTRY",
    "Dataset",
    "DatasetInfo",
    "dataset_info",
    "fetch",
    "get_dataset",
    "load_table",
]


@dataclass(frozen=True)
class Dataset:
    """One public dataset moodtune can use.

    ``sha256`` pins the exact bytes of the mirrored file. Files from ``url`` that are not
    byte-identical to the mirror (``url_sha256 is None``) are verified by ``content_check``.
    """

    name: str
    filename: str
    description: str
    licence_file: str
    url: str
    sha256: str
    url_filename: str | None = None
    url_sha256: str | None = None
    read_csv_kwargs: dict[str, Any] = field(default_factory=dict)
    expected_columns: tuple[str, ...] = ()
    expected_rows: int | None = None

    def content_check(self, frame: pd.DataFrame, *, source: str) -> None:
        """Raise ``DataIntegrityError`` unless ``frame`` has the expected header and size."""
        if self.expected_columns and tuple(frame.columns) != self.expected_columns:
            missing = [c for c in self.expected_columns if c not in frame.columns]
            extra = [c for c in frame.columns if c not in self.expected_columns]
            raise DataIntegrityError(
                f"{source}: content check failed for dataset {self.name!r}: header differs "
                f"(missing {missing}, unexpected {extra})"
            )
        if self.expected_rows is not None and len(frame) != self.expected_rows:
            raise DataIntegrityError(
                f"{source}: content check failed for dataset {self.name!r}: "
                f"{len(frame)} data rows, expected {self.expected_rows} (truncated or altered file)"
            )


SURVEY_COLUMNS: tuple[str, ...] = (
    "Timestamp",
    "Age",
    "Primary streaming service",
    "Hours per day",
    "While working",
    "Instrumentalist",
    "Composer",
    "Fav genre",
    "Exploratory",
    "Foreign languages",
    "BPM",
    *(
        f"Frequency [{g}]"
        for g in (
            "Classical",
            "Country",
            "EDM",
            "Folk",
            "Gospel",
            "Hip hop",
            "Jazz",
            "K pop",
            "Latin",
            "Lofi",
            "Metal",
            "Pop",
            "R&B",
            "Rap",
            "Rock",
            "Video game music",
        )
    ),
    "Anxiety",
    "Depression",
    "Insomnia",
    "OCD",
    "Music effects",
    "Permissions",
)

SPOTIFY_SONGS_COLUMNS: tuple[str, ...] = (
    "track_id",
    "track_name",
    "track_artist",
    "track_popularity",
    "track_album_id",
    "track_album_name",
    "track_album_release_date",
    "playlist_name",
    "playlist_id",
    "playlist_genre",
    "playlist_subgenre",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
)

PMEMO_METADATA_COLUMNS: tuple[str, ...] = (
    "musicId",
    "fileName",
    "title",
    "artist",
    "album",
    "duration",
    "chorus_start_time",
    "chorus_end_time",
)
PMEMO_STATIC_COLUMNS: tuple[str, ...] = (
    "song_id",
    "valence_mean",
    "valence_std",
    "arousal_mean",
    "arousal_std",
)
# The PMEmo files as published beside the Music2Emotion code, pinned to one commit.
PMEMO_URL = (
    "https://raw.githubusercontent.com/AMAAI-Lab/Music2Emotion/"
    "c5f7984f78d9928b841f25bd05a47377c12c58ca/dataset/pmemo/meta"
)

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="mxmh_survey",
            filename="mxmh_survey_results.csv",
            description="Music & Mental Health survey (736 respondents, 2022), CC0",
            licence_file="mxmh_survey_results.LICENSE.txt",
            url=(
                "https://raw.githubusercontent.com/kszlobanova/moca/"
                "be90b1ecd3505befa198ccf888b4803c0a5f9efa/mxmh_survey_results.csv"
            ),
            sha256="daa42ea49a93fc05009a58cd48b695030a94eab1c23f7f12e257f0605d534e78",
            url_sha256="daa42ea49a93fc05009a58cd48b695030a94eab1c23f7f12e257f0605d534e78",
            read_csv_kwargs={"dtype": str, "keep_default_na": False},
            expected_columns=SURVEY_COLUMNS,
            expected_rows=736,
        ),
        Dataset(
            name="spotify_songs",
            filename="spotify_songs.csv.gz",
            description="Spotify Songs, TidyTuesday 2020-01-21 (32,833 rows, 28,356 tracks)",
            licence_file="spotify_songs.LICENSE.txt",
            url=(
                "https://raw.githubusercontent.com/rfordatascience/tidytuesday/main/"
                "data/2020/2020-01-21/spotify_songs.csv"
            ),
            sha256="1810b5c05bcecdae9bbe1850aca35540a42b080094a3771e3eb8ec8da59598a2",
            url_filename="spotify_songs.csv",
            url_sha256=None,
            read_csv_kwargs={
                "dtype": {
                    "track_id": str,
                    "track_name": str,
                    "track_artist": str,
                    "track_album_id": str,
                    "track_album_name": str,
                    "track_album_release_date": str,
                    "playlist_name": str,
                    "playlist_id": str,
                    "playlist_genre": str,
                    "playlist_subgenre": str,
                }
            },
            expected_columns=SPOTIFY_SONGS_COLUMNS,
            expected_rows=32833,
        ),
        Dataset(
            name="pmemo_metadata",
            filename="pmemo_metadata.csv",
            description="PMEmo song metadata (794 chart-pop songs: title, artist, album, duration)",
            licence_file="pmemo.LICENSE.txt",
            url=f"{PMEMO_URL}/metadata.csv",
            sha256="a7576297df8fc418808cafaedebb70eb38444a0449bd924b0231121f4419e16d",
            url_sha256="a7576297df8fc418808cafaedebb70eb38444a0449bd924b0231121f4419e16d",
            read_csv_kwargs={"dtype": {"title": str, "artist": str, "album": str}},
            expected_columns=PMEMO_METADATA_COLUMNS,
            expected_rows=794,
        ),
        Dataset(
            name="pmemo_static",
            filename="pmemo_static_annotations.csv",
            description=(
                "PMEmo static valence/arousal ratings (767 chorus excerpts, 10+ listeners each, "
                "9-point scale; Zhang et al., ICMR 2018)"
            ),
            licence_file="pmemo.LICENSE.txt",
            url=f"{PMEMO_URL}/static_annotations.csv",
            sha256="c0ae369b41a0a9e012bb83a2dded30d1370267564352771f16b9eb5a9eca0a91",
            url_sha256="c0ae369b41a0a9e012bb83a2dded30d1370267564352771f16b9eb5a9eca0a91",
            expected_columns=PMEMO_STATIC_COLUMNS,
            expected_rows=767,
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """The registry entry for ``name``; a clear error lists the known names otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InputError(
            f"unknown dataset {name!r}", field="dataset", value=name, allowed=", ".join(REGISTRY)
        ) from None


def _sha256(path: Path) -> str:
    import pooch

    return str(pooch.file_hash(str(path), alg="sha256"))


def _progress(*columns: Any) -> Any:
    """A transient Rich progress bar on stderr, drawn only in a terminal (pipes stay clean)."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


class _RichPoochBar:
    """Adapter giving pooch's downloader a Rich progress bar (pooch expects tqdm's API)."""

    def __init__(self, description: str) -> None:
        from rich.progress import BarColumn, DownloadColumn, TextColumn

        self._progress = _progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn())
        self._progress.start()
        self._task = self._progress.add_task(description, total=None)
        self.total: int | None = None

    def update(self, n: int) -> None:
        self._progress.update(self._task, advance=n, total=self.total)

    def reset(self) -> None:
        self._progress.reset(self._task, total=self.total)

    def close(self) -> None:
        self._progress.stop()


def _copy_with_progress(src: Path, dest: Path, *, description: str) -> None:
    from rich.progress import BarColumn, DownloadColumn, TextColumn

    size = src.stat().st_size
    tmp = dest.with_name(dest.name + f".part-{os.getpid()}")
    with (
        _progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn()) as progress,
        src.open("rb") as fin,
        tmp.open("wb") as fout,
    ):
        task = progress.add_task(description, total=size)
        while chunk := fin.read(1 << 20):
            fout.write(chunk)
            progress.advance(task, len(chunk))
    os.chmod(tmp, PRIVATE_FILE_MODE)
    os.replace(tmp, dest)


def _verify_or_raise(path: Path, expected: str, *, what: str) -> None:
    actual = _sha256(path)
    if actual != expected:
        raise DataIntegrityError(
            f"{path}: sha256 check failed for {what}: got {actual}, expected {expected}. "
            "The file is corrupted, truncated or a different version; it was not used."
        )


def fetch(name: str, *, settings: Settings | None = None) -> Path:
    """Return the path of a verified local copy of dataset ``name``, fetching it if needed.

    Order: the cache (verified), the mirror directory (verified, then copied into the cache),
    the public URL via pooch (unless ``settings.offline``).
    """
    settings = settings or get_settings()
    dataset = get_dataset(name)
    cache_dir = settings.cache_dir
    private_dir(cache_dir)
    cached = cache_dir / dataset.filename
    if cached.exists():
        if _sha256(cached) == dataset.sha256:
            return cached
        cached.unlink()  # a stale or damaged cache entry is re-fetched, never used

    mirror = settings.mirror_dir
    if mirror is not None and (mirror / dataset.filename).exists():
        source = mirror / dataset.filename
        _verify_or_raise(source, dataset.sha256, what=f"dataset {name!r} (mirror copy)")
        _copy_with_progress(source, cached, description=f"copying {dataset.filename}")
        return cached

    where = f"mirror directory {mirror}" if mirror else "no mirror directory configured"
    if settings.offline:
        raise DataIntegrityError(
            f"dataset {name!r} is not cached and not in the mirror ({where}; expected file "
            f"{dataset.filename}); offline mode forbids downloading it from {dataset.url}"
        )
    return _download(dataset, cache_dir=cache_dir, where=where)


def _download(dataset: Dataset, *, cache_dir: Path, where: str) -> Path:
    import pooch

    fname = dataset.url_filename or dataset.filename
    try:
        path = Path(
            pooch.retrieve(
                dataset.url,
                known_hash=f"sha256:{dataset.url_sha256}" if dataset.url_sha256 else None,
                fname=fname,
                path=private_dir(cache_dir / "downloads"),
                progressbar=_RichPoochBar(f"downloading {fname}"),
            )
        )
    except ValueError as exc:  # pooch raises ValueError on a hash mismatch
        raise DataIntegrityError(
            f"{dataset.url}: sha256 check failed for dataset {dataset.name!r}: {exc}"
        ) from exc
    except Exception as exc:  # network errors: say which file failed and where to put it
        raise DataIntegrityError(
            f"could not fetch dataset {dataset.name!r} ({dataset.filename}): not in the cache, "
            f"not in the mirror ({where}), and downloading {dataset.url} failed: {exc}"
        ) from exc
    if dataset.url_sha256 is None:
        frame = _read_raw(dataset, path)
        dataset.content_check(frame, source=str(path))
        # Downloaded content differs byte-wise from the mirror file; keep it under its own name.
        target = cache_dir / fname
        os.replace(path, target)
        make_private(target)
        return target
    target = cache_dir / dataset.filename
    os.replace(path, target)
    make_private(target)
    return target


def _read_raw(dataset: Dataset, path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **dataset.read_csv_kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataIntegrityError(
            f"{path}: could not be parsed as CSV for dataset {dataset.name!r}: {exc}"
        ) from exc


def _parquet_path(dataset: Dataset, settings: Settings, raw: Path) -> Path:
    tag = dataset.sha256[:12] if raw.name == dataset.filename else "download"
    return settings.parquet_dir / f"{dataset.name}-{tag}.parquet"


def load_table(
    name: str,
    *,
    settings: Settings | None = None,
    fetcher: Callable[..., Path] = fetch,
) -> pd.DataFrame:
    """The raw table of dataset ``name``, verified, from its Parquet cache (built once)."""
    settings = settings or get_settings()
    dataset = get_dataset(name)
    raw = fetcher(name, settings=settings)
    parquet = _parquet_path(dataset, settings, raw)
    if parquet.exists():
        try:
            return pd.read_parquet(parquet)
        except Exception:  # a damaged cache is rebuilt from the verified raw file
            parquet.unlink(missing_ok=True)
    from rich.progress import SpinnerColumn, TextColumn

    with _progress(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        progress.add_task(f"converting {raw.name} to Parquet (once)", total=None)
        frame = _read_raw(dataset, raw)
        dataset.content_check(frame, source=str(raw))
        private_dir(parquet.parent)
        fd, tmp_name = tempfile.mkstemp(dir=parquet.parent, suffix=".parquet.part")
        os.close(fd)
        frame.to_parquet(tmp_name, index=False)
        os.replace(tmp_name, parquet)
    return frame


@dataclass(frozen=True)
class DatasetInfo:
    """What ``moodtune data info`` shows for one dataset."""

    name: str
    description: str
    cached_path: str | None
    parquet_path: str | None
    mirror_path: str | None
    url: str
    sha256: str
    licence_file: str | None
    licence_text: str | None


def dataset_info(name: str, *, settings: Settings | None = None) -> DatasetInfo:
    """Describe where dataset ``name`` is cached, where it comes from, and its licence."""
    settings = settings or get_settings()
    dataset = get_dataset(name)
    cached = settings.cache_dir / dataset.filename
    parquets = sorted(settings.parquet_dir.glob(f"{dataset.name}-*.parquet"))
    mirror = settings.mirror_dir / dataset.filename if settings.mirror_dir else None
    licence = settings.mirror_dir / dataset.licence_file if settings.mirror_dir else None
    return DatasetInfo(
        name=name,
        description=dataset.description,
        cached_path=str(cached) if cached.exists() else None,
        parquet_path=str(parquets[-1]) if parquets else None,
        mirror_path=str(mirror) if mirror is not None and mirror.exists() else None,
        url=dataset.url,
        sha256=dataset.sha256,
        licence_file=str(licence) if licence is not None and licence.exists() else None,
        licence_text=licence.read_text() if licence is not None and licence.exists() else None,
    )
