"""Benchmarks of every mlsys path against a bare baseline measured in the same run.

Run ``python -m benchmarks --help`` (or ``nox -s bench``); :func:`run_benchmarks` is the
function API. Results go to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.runner import BenchmarkRun


def run_benchmarks(*args: Any, **kwargs: Any) -> BenchmarkRun:
    """See :func:`benchmarks.cli.run_benchmarks`."""
    from benchmarks.cli import run_benchmarks as run

    return run(*args, **kwargs)


__all__ = ["run_benchmarks"]
