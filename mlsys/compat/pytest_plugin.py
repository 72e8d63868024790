"""The pytest plugin (entry point ``pytest11``): test Hopsworks pipelines on mlsys, no account.

The ``mlsys_project`` fixture gives each test a fresh embedded store in a temporary folder
(``MLSYS_BACKEND=local``, ``MLSYS_HOME`` set for code that calls ``hopsworks.login()`` itself)
and resolves ``import hopsworks`` / ``hsfs`` / ``hsml`` to mlsys for the test's duration. The
ini option ``mlsys_hopsworks_imports = true`` resolves them for the whole session instead (for
test modules that import the SDK at the top). Nothing is resolved unless a test or the ini
option asks, so a suite that uses the real SDK keeps it. Importing this plugin loads only
pytest and the standard library.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mlsys.store.api import Project

_INI = "mlsys_hopsworks_imports"
_SESSION_HOOK = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(_INI, "resolve `import hopsworks`/`hsfs`/`hsml` to mlsys for the whole "
                  "session (unless MLSYS_BACKEND=hopsworks)", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    if config.getini(_INI):
        from mlsys.compat.hook import hopsworks_imports

        block = hopsworks_imports()
        block.__enter__()
        config.stash[_SESSION_HOOK] = block


def pytest_unconfigure(config: pytest.Config) -> None:
    block = config.stash.get(_SESSION_HOOK, None)
    if block is not None:
        block.__exit__(None, None, None)


@pytest.fixture
def mlsys_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project on a fresh local store; ``hopsworks.login()`` in the test returns it too."""
    import mlsys
    from mlsys.compat.hook import hopsworks_imports

    home = tmp_path / "mlsys-home"
    monkeypatch.setenv("MLSYS_BACKEND", "local")
    monkeypatch.setenv("MLSYS_HOME", str(home))
    monkeypatch.delenv("MLSYS_PROJECT", raising=False)
    with hopsworks_imports(), mlsys.login() as project:
        yield project
