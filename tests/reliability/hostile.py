"""Hypothesis strategies for hostile input, and the runner the hostile-input tests share.

Each test runs its property with a modest example budget in the default run and a large one
under ``-m slow`` (see :data:`BUDGETS`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlsys.errors import MlsysError

BUDGETS = [pytest.param(25, id="25-examples"),
           pytest.param(400, id="400-examples", marks=pytest.mark.slow)]

NASTY_NAMES: list[Any] = [
    "", " ", "  \t", ".", "..", "../x", "../../etc/passwd", "/", "/etc/passwd", "a/b", "a\\b",
    "..\\x", "a\x00b", "\x00", "with space", " padded ", "UPPER", "Mixed_Case", "naïve",
    "日本語", "emoji😀", "a\nb", "a\tb", "-lead", "_lead", "a-b", "a..b", "~", "~root", "$HOME",
    "%s%n", "{x}", "'; DROP TABLE feature_groups; --", "a" * 63, "a" * 64, "a" * 255, "a" * 256,
    "a" * 5000, "ä" * 200, "\ud800", "\u202etxt.exe", "CON", "nul", "a:b", "a*b", "a?b", "\x7f",
]
NON_STRINGS: list[Any] = [None, 1, 1.5, True, b"bytes", ["a"], ("a",), {"a": 1}]


def names(non_strings: bool = True) -> st.SearchStrategy[Any]:
    """Names from nasty lists, arbitrary unicode text, path-ish text and very long text."""
    parts = [
        st.sampled_from(NASTY_NAMES),
        st.text(max_size=70),
        st.text(alphabet="ab_./\\ \x00-~:", max_size=24),
        st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=3), st.integers(60, 3000)),
    ]
    if non_strings:
        parts.append(st.sampled_from(NON_STRINGS))
    return st.one_of(*parts)


def paths() -> st.SearchStrategy[Any]:
    """Project paths: names joined with '/', plus everything :func:`names` makes."""
    segment = st.one_of(st.sampled_from(["a", "b", ".", "..", "", " ", "x y", "Résumé"]),
                        st.text(max_size=12), st.sampled_from(NASTY_NAMES))
    joined = st.lists(segment, min_size=1, max_size=4).map("/".join)
    return st.one_of(names(), joined)


def run_property(budget: int, strategy: st.SearchStrategy[Any],
                 check: Callable[[Any], None]) -> None:
    """Check ``check(value)`` for ``budget`` examples of ``strategy``."""
    @settings(max_examples=budget, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def prop(value: Any) -> None:
        check(value)

    prop()


def refused(call: Callable[[], Any]) -> MlsysError | None:
    """None when ``call`` succeeds, the MlsysError when it refuses; anything else propagates."""
    try:
        call()
    except MlsysError as err:
        return err
    return None


def names_the_value(err: Exception, value: Any) -> bool:
    """Whether ``err``'s message shows (the start of) the offending value."""
    shown = repr(value)
    return shown[:20] in str(err) or shown[:20].strip("'\"") in str(err)


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, int]:
    """Every path under ``root`` (outside ``skip``) with its size, SQLite side files excluded."""
    out = {}
    for p in root.rglob("*"):
        if any(p == s or s in p.parents for s in skip):
            continue
        if p.name.endswith(("-wal", "-shm", ".sqlite", ".lock")):
            continue
        out[p.relative_to(root).as_posix()] = p.stat().st_size if p.is_file() else -1
    return out
