"""Imported listening (plays, skips, likes) as evidence for the learner and the MF model.

A history export can hold thousands of plays of a few hundred tracks; fed one by one, they
would drown the handful of thumbs a listener gives in moodtune. So each track a listener has
heard counts **once**, with the outcome they mostly had:

* a like (a saved track, a track on one of their playlists) or more plays than skips: a
  completed play (``TrackFeedback(played=True)``, the learner's weak positive);
* more skips than plays and likes: a skip after the median time played (an early skip, under
  30 s, is the learner's moderate negative; a late one barely counts).

For the collaborative model (``collaborative.ImplicitMF``), a listener x track matrix holds
``log1p(plays + likes)``: confidence grows with repeats, but slowly, so one track on repeat
does not outweigh a whole library. Skips add nothing, as in ``interaction_matrix``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

import numpy as np
from scipy import sparse

from moodtune.recommend.feedback import TrackFeedback

__all__ = ["LISTENING_SESSION", "listening_feedback", "listening_interactions"]

LISTENING_SESSION = "listening-history"
"""The ``session_id`` of feedback derived from imported listening (it belongs to no session)."""


def listening_feedback(rows: Iterable[Mapping[str, Any]]) -> list[TrackFeedback]:
    """One ``TrackFeedback`` per track from ``listening_events`` rows (``track_id``, ``kind``:
    play, skip or like; ``ms_played``), in order of first appearance."""
    positive: dict[str, int] = defaultdict(int)
    skipped: dict[str, list[float]] = defaultdict(list)
    order: dict[str, None] = {}
    for row in rows:
        track = str(row["track_id"])
        order.setdefault(track)
        if row["kind"] == "skip":
            ms = row.get("ms_played")
            skipped[track].append(0.0 if ms is None else float(ms) / 1000)
        else:
            positive[track] += 1
    out = []
    for position, track in enumerate(order):
        skips = skipped.get(track, [])
        if len(skips) > positive.get(track, 0):
            out.append(
                TrackFeedback(
                    track_id=track,
                    session_id=LISTENING_SESSION,
                    position=position,
                    played=True,
                    skipped_after_s=round(median(skips), 3),
                )
            )
        else:
            out.append(
                TrackFeedback(
                    track_id=track, session_id=LISTENING_SESSION, position=position, played=True
                )
            )
    return out


def listening_interactions(
    rows: Iterable[Mapping[str, Any]],
    *,
    listeners: Sequence[str],
    track_ids: Sequence[str],
) -> sparse.csr_matrix:
    """``log1p(plays + likes)`` per (listener, track); shape (len(listeners), len(track_ids)).

    Rows of listeners or tracks outside the given lists are left out (another catalog, a
    listener who turned learning off).
    """
    listener_row = {lid: i for i, lid in enumerate(listeners)}
    track_column = {tid: j for j, tid in enumerate(track_ids)}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        if row["kind"] == "skip":
            continue
        i = listener_row.get(str(row["listener_id"]))
        j = track_column.get(str(row["track_id"]))
        if i is not None and j is not None:
            counts[(i, j)] += 1
    if not counts:
        return sparse.csr_matrix((len(listeners), len(track_ids)), dtype=np.float32)
    (rows_i, cols_j), values = zip(*counts.keys(), strict=True), list(counts.values())
    data = np.array([math.log1p(v) for v in values], dtype=np.float32)
    return sparse.csr_matrix(
        (data, (np.array(rows_i), np.array(cols_j))), shape=(len(listeners), len(track_ids))
    )
