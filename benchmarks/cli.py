"""Command-line options of ``python -m benchmarks`` and the function API behind them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.context import Context
from benchmarks.runner import BENCHES, DEFAULT_OUT, RESULTS_DIR, BenchmarkRun, run


def run_benchmarks(scale: float = 1.0, only: Sequence[str] = (), repeat: int | None = None,
                   out: Path | None = DEFAULT_OUT, full: bool = False,
                   profile: Sequence[str] = (), quiet: bool = False) -> BenchmarkRun:
    """Run benchmarks (all, or ``only`` those named) and write the JSON to ``out`` (unless
    None). ``scale`` multiplies the issue's row counts; ``repeat`` overrides each benchmark's
    repetitions; ``full`` adds the 10M-row scaling point; ``profile`` names figures whose
    mlsys side is profiled once more with pyinstrument (text reports next to ``out``)."""
    from benchmarks.report import write_json

    if scale <= 0:
        raise ValueError(f"--scale must be positive, got {scale}")
    ctx = Context(scale=scale, repeat=repeat, full=full, only=tuple(only),
                  profile=tuple(profile),
                  profile_dir=(out.parent if out is not None else RESULTS_DIR))
    say = None if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        result = run(ctx, only, progress=say)
    finally:
        ctx.close()
    if out is not None:
        write_json(result, out)
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of every mlsys path against a bare baseline in the same run.",
        epilog="Benchmarks: " + ", ".join(BENCHES) + ". Figure names are accepted too.")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply the row counts (1 = the issue's sizes: 1M rows, ...)")
    p.add_argument("--only", nargs="+", default=[], metavar="NAME",
                   help="run only these benchmarks (or the benchmarks of these figures)")
    p.add_argument("--repeat", type=int, default=None,
                   help="repetitions of every benchmark (default: each one's own, 3-10)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output path")
    p.add_argument("--full", action="store_true",
                   help="include the 10M-row scaling point and the console's 1,000-commit group")
    p.add_argument("--profile", nargs="+", default=[], metavar="FIGURE",
                   help="profile the mlsys side of these figures with pyinstrument")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from benchmarks.report import print_tables

    try:
        result = run_benchmarks(args.scale, args.only, args.repeat, args.out, args.full,
                                args.profile)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print_tables(result)
    print(f"JSON: {args.out}", file=sys.stderr)
    return 1 if result.errors else 0
