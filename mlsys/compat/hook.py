"""The import hook: a ``sys.meta_path`` finder that resolves the Hopsworks SDK's modules to mlsys.

Only the modules listed in :data:`MODULES` exist; importing another submodule of ``hopsworks``,
``hsfs`` or ``hsml`` raises ``ModuleNotFoundError`` naming what mlsys offers, rather than a
half-working stand-in. The hook is never installed when the configured backend is
``hopsworks``: that backend needs the real SDK, and shadowing it would break it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

ROOTS = ("hopsworks", "hsfs", "hsml")


def _login(*args: Any, **kwargs: Any) -> Any:
    """``hopsworks.login()``: the mlsys project of the configured backend (MLSYS_BACKEND).

    Hopsworks arguments (host, port, api_key_value, ...) are accepted and unused by the local
    backend; ``project=`` names the mlsys project.
    """
    import mlsys

    return mlsys.login(**kwargs)


class _Connection:
    """What ``hsfs.connection()`` / ``hsml.connection()`` return: the project's two stores."""

    def __init__(self, **kwargs: Any) -> None:
        self._project = _login(**kwargs)

    def get_feature_store(self, name: str | None = None) -> Any:
        return self._project.get_feature_store()

    def get_model_registry(self, project: str | None = None) -> Any:
        return self._project.get_model_registry()

    def close(self) -> None:
        self._project.close()


class _Lazy:
    """An attribute of a stand-in module computed on first use (keeps ``import hsml`` light)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def load(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self.module), self.name)


def _store_api(name: str) -> _Lazy:
    return _Lazy("mlsys.store.api", name)


def _errors(name: str) -> _Lazy:
    return _Lazy("mlsys.errors", name)


def _validation(name: str) -> _Lazy:
    return _Lazy("mlsys.validation.types", name)


# module name -> {attribute: value, or a zero-argument function computing it on first use}
MODULES: dict[str, dict[str, Any]] = {
    "hopsworks": {"login": _login, "connection": _Connection},
    "hsfs": {"connection": _Connection, "login": _login},
    "hsfs.feature": {"Feature": _store_api("Feature")},
    "hsfs.feature_group": {"FeatureGroup": _store_api("FeatureGroup")},
    "hsfs.feature_view": {"FeatureView": _store_api("FeatureView")},
    "hsfs.feature_store": {"FeatureStore": _store_api("FeatureStore")},
    "hsfs.constructor": {},
    "hsfs.constructor.query": {"Query": _store_api("Query")},
    "hsfs.validation_report": {"ValidationReport": _validation("ValidationReport")},
    "hsfs.client": {},
    "hsfs.client.exceptions": {
        "DataValidationException": _errors("DataValidationException"),
        "FeatureStoreException": _errors("MlsysError"),
        "RestAPIError": _errors("MlsysError"),
    },
    "hopsworks.client": {},
    "hopsworks.client.exceptions": {
        "RestAPIError": _errors("MlsysError"),
        "ProjectException": _errors("MlsysError"),
    },
    "hsml": {"connection": _Connection},
    "hsml.schema": {"Schema": _store_api("Schema")},
    "hsml.model_schema": {"ModelSchema": _store_api("ModelSchema")},
    "hsml.model": {"Model": _store_api("Model")},
}


def hook_allowed(backend: str | None = None) -> bool:
    """Whether the hook may be installed: not when the backend is ``hopsworks``."""
    chosen = backend if backend is not None else os.environ.get("MLSYS_BACKEND", "local")
    return chosen.strip().lower() != "hopsworks"


def _make_module(fullname: str) -> ModuleType:
    module = ModuleType(fullname, f"mlsys's stand-in for {fullname} (see mlsys.compat.hook)")
    lazy: dict[str, _Lazy] = {}
    for attr, value in MODULES[fullname].items():
        if isinstance(value, _Lazy):
            lazy[attr] = value
        else:
            setattr(module, attr, value)

    def module_getattr(attr: str) -> Any:
        if attr in lazy:
            value = lazy[attr].load()
            setattr(module, attr, value)
            return value
        offered = sorted([*vars(module), *lazy])
        offered = [a for a in offered if not a.startswith("_")]
        raise AttributeError(
            f"{fullname} (run on mlsys) has no {attr!r}; it offers {offered}. Use the object "
            "API (project.get_feature_store(), fs.get_feature_group(...), ...)")

    module.__getattr__ = module_getattr  # type: ignore[method-assign]
    module.__mlsys_stand_in__ = True  # type: ignore[attr-defined]
    if any(name.startswith(f"{fullname}.") for name in MODULES):
        module.__path__ = []  # a package, so its submodules import
    return module


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return _make_module(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        return None


class HopsworksFinder(importlib.abc.MetaPathFinder):
    """Finds ``hopsworks``/``hsfs``/``hsml`` modules as mlsys stand-ins (see the module doc)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in ROOTS:
            return None
        if fullname not in MODULES:
            known = ", ".join(sorted(MODULES))
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: code run on mlsys gets stand-ins for {known}. "
                "Import one of those, or run with MLSYS_BACKEND=hopsworks and the real SDK "
                "(pip install 'mlsys[hopsworks]')", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=bool(
            any(n.startswith(f"{fullname}.") for n in MODULES)))


def _forget_sdk_modules() -> dict[str, ModuleType]:
    """Remove loaded ``hopsworks``/``hsfs``/``hsml`` modules; return them to put back later."""
    gone = {n: m for n, m in sys.modules.items() if n.split(".")[0] in ROOTS}
    for n in gone:
        del sys.modules[n]
    return gone


def install() -> HopsworksFinder | None:
    """Put the finder first on ``sys.meta_path`` (None, and nothing done, when not allowed)."""
    if not hook_allowed():
        return None
    for finder in sys.meta_path:
        if isinstance(finder, HopsworksFinder):
            return finder
    finder = HopsworksFinder()
    sys.meta_path.insert(0, finder)
    return finder


def uninstall(finder: HopsworksFinder | None) -> None:
    if finder is not None and finder in sys.meta_path:
        sys.meta_path.remove(finder)


@contextmanager
def hopsworks_imports() -> Iterator[bool]:
    """Resolve the SDK's modules to mlsys inside the block; yields whether the hook is on.

    On exit the stand-ins are dropped from ``sys.modules`` and any real SDK modules loaded
    before are put back, so code after the block sees what it saw before.
    """
    if not hook_allowed():
        yield False
        return
    saved = _forget_sdk_modules()
    finder = install()
    try:
        yield True
    finally:
        uninstall(finder)
        _forget_sdk_modules()
        sys.modules.update(saved)


def is_stand_in(module: object) -> bool:
    """Whether ``module`` is one of the hook's stand-ins (not the real SDK)."""
    return bool(getattr(module, "__mlsys_stand_in__", False))


__all__ = ["MODULES", "HopsworksFinder", "hook_allowed", "hopsworks_imports",
           "install", "is_stand_in", "uninstall"]
