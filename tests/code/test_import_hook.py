"""The import hook resolves the SDK's modules to mlsys only inside its block, never on Hopsworks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlsys.compat.hook import HopsworksFinder, hopsworks_imports, is_stand_in


def _hooked() -> bool:
    return any(isinstance(f, HopsworksFinder) for f in sys.meta_path)


def test_inside_the_block_the_sdk_modules_are_mlsys(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSYS_BACKEND", "local")
    monkeypatch.setenv("MLSYS_HOME", str(tmp_path / "home"))
    before = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("hsml", "hsfs")}
    with hopsworks_imports() as on:
        assert on and _hooked()
        import hopsworks
        import hsfs.feature
        from hsml.model_schema import ModelSchema
        from hsml.schema import Schema

        import mlsys

        assert is_stand_in(hopsworks) and Schema is mlsys.Schema
        assert ModelSchema is mlsys.ModelSchema
        assert hsfs.feature.Feature.__module__ == "mlsys.store.api.types"
        with hopsworks.login() as project:
            assert project.config.home == tmp_path / "home"  # the configured store
        with pytest.raises(AttributeError, match="offers"):
            hopsworks.get_current_project()  # not offered: a clear error
        with pytest.raises(ModuleNotFoundError, match=r"hsml\.schema"):
            import hsfs.engine
    assert not _hooked()
    after = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ("hsml", "hsfs")}
    assert after == before  # stand-ins gone, anything real put back


def test_the_hopsworks_backend_keeps_the_real_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSYS_BACKEND", "Hopsworks")
    with hopsworks_imports() as on:
        assert not on and not _hooked()
