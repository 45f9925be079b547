"""Learning from feedback on simulated listeners (thin wrapper of ``moodtune bench learning``).

Usage: python benchmarks/bench_learning.py [--listeners 100 --sessions 20 --seeds 3 --quick]
"""

from __future__ import annotations

import argparse

from moodtune.bench.learning import run_learning_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="bench-out/learning")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    run_learning_command(
        listeners=args.listeners,
        sessions=args.sessions,
        seeds=args.seeds,
        out=args.out,
        quick=args.quick,
        as_json=args.json,
    )


if __name__ == "__main__":
    main()
