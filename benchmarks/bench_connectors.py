"""History import speed: reading an extended Spotify history and matching it to a catalog.

Usage: python benchmarks/bench_connectors.py [--plays 100000 --catalog 28356 --naive 100]

A synthetic catalog of ``--catalog`` tracks (the default catalog's size) and an extended
streaming history of ``--plays`` plays over 5,000 distinct tracks: 40 % found by Spotify id,
30 % only by title + artist (written with "- 2011 Remaster" and "(feat. X)" suffixes), 30 %
not in the catalog. Prints records/s for reading and for matching with ``CatalogMatcher``
(look-up tables built once; build time included), next to the naive way measured in the same
run on ``--naive`` records (normalise every catalog row for each record), and their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time

import pandas as pd

from moodtune.catalog.identity import match_key
from moodtune.connectors.history import read_history
from moodtune.connectors.matching import CatalogMatcher, ExternalTrack


def _id(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=22))


def build(plays: int, catalog_size: int, seed: int = 0) -> tuple[pd.DataFrame, bytes]:
    rng = random.Random(seed)
    ids = [_id(rng) for _ in range(catalog_size)]
    catalog = pd.DataFrame(
        {
            "track_id": ids,
            "name": [f"Song {i} of the night" for i in range(catalog_size)],
            "artists": [f"Artist {i % 3000}" for i in range(catalog_size)],
            "usable": True,
        }
    )
    distinct = []
    for n in range(5000):
        i = rng.randrange(catalog_size)
        kind = n % 10
        if kind < 4:
            distinct.append((f"Song {i} of the night", f"Artist {i % 3000}", ids[i]))
        elif kind < 7:
            distinct.append(
                (
                    f"Song {i} of the night - 2011 Remaster (feat. Guest)",
                    f"The Artist {i % 3000}",
                    _id(rng),
                )
            )
        else:
            distinct.append((f"Unknown {n}", f"Nobody {n}", _id(rng)))
    records = []
    for p in range(plays):
        title, artist, sid = distinct[rng.randrange(len(distinct))]
        records.append(
            {
                "ts": f"2025-{1 + p % 12:02d}-{1 + p % 28:02d}T{p % 24:02d}:{p % 60:02d}:00Z",
                "ms_played": rng.randrange(0, 300_000),
                "ip_addr": "203.0.113.7",
                "platform": "x",
                "master_metadata_track_name": title,
                "master_metadata_album_artist_name": artist,
                "master_metadata_album_album_name": "Album",
                "spotify_track_uri": f"spotify:track:{sid}",
                "skipped": rng.random() < 0.2,
                "reason_end": "trackdone",
            }
        )
    return catalog, json.dumps(records).encode()


def naive_match(catalog: pd.DataFrame, track: ExternalTrack) -> str | None:
    """The way without an index: compare against every catalog row, normalising as we go."""
    for tid in catalog["track_id"]:
        if tid == track.spotify_id:
            return str(tid)
    key = match_key(track.artist or "", track.title or "")
    for tid, name, artist in zip(
        catalog["track_id"], catalog["name"], catalog["artists"], strict=True
    ):
        if match_key(artist, name) == key:
            return str(tid)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plays", type=int, default=100_000)
    parser.add_argument("--catalog", type=int, default=28_356)
    parser.add_argument("--naive", type=int, default=100)
    args = parser.parse_args()
    catalog, body = build(args.plays, args.catalog)

    started = time.perf_counter()
    history = read_history(body, name="Streaming_History_Audio_bench.json")
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    matcher = CatalogMatcher(catalog)
    cache: dict[ExternalTrack, str | None] = {}
    for listen in history.listens:
        if listen.track not in cache:
            cache[listen.track] = matcher.match(listen.track).track_id
    matched = sum(cache[listen.track] is not None for listen in history.listens)
    match_s = time.perf_counter() - started

    sample = history.listens[: args.naive]
    started = time.perf_counter()
    naive_found = [naive_match(catalog, listen.track) for listen in sample]
    naive_s = time.perf_counter() - started
    assert naive_found == [cache[listen.track] for listen in sample], "the two ways disagree"

    plays = len(history.listens)
    match_rate = plays / match_s
    naive_rate = len(sample) / naive_s
    rows = [
        ("read (parse + validate)", f"{plays / read_s:,.0f} plays/s", f"{read_s:.2f} s"),
        ("match (index, build included)", f"{match_rate:,.0f} plays/s", f"{match_s:.2f} s"),
        ("match (naive scan)", f"{naive_rate:,.1f} plays/s", f"{naive_s:.2f} s on {len(sample)}"),
        ("ratio index / naive", f"{match_rate / naive_rate:,.0f}x", ""),
        ("matched", f"{matched / plays:.1%} of {plays:,} plays", f"catalog {len(catalog):,}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, figure, detail in rows:
        print(f"{name:<{width}}  {figure:>22}  {detail}")


if __name__ == "__main__":
    main()
