"""One small lazy registry: names mapped to ``"module:attribute"``, imported and checked on load.

Backends, systems and apps all use it, so the CLI's choices, the noxfile's loops and the error
for an unknown name come from one table each. Listing names imports nothing; ``load`` imports the
module of one entry and checks the object's type, so a wrong entry fails at the lookup that
needs it with a message naming the entry, not deep inside a pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from mlsys.errors import ConfigurationError, MissingExtraError, NotFoundError

T = TypeVar("T")


class LazyRegistry(Mapping[str, tuple[str, str]], Generic[T]):
    """``kind`` name -> (module, attribute), in registration order; ``load`` gives a checked T.

    As a mapping it holds the targets (``registry["iris"] == ("mlsys.systems.iris", "SYSTEM")``),
    so ``name in registry``, ``sorted(registry)`` and ``NotFoundError(kind, name, registry)``
    work as on a dict. ``extras`` names the optional extra an entry's module needs, so a missing
    dependency is reported as ``pip install 'mlsys[<extra>]'``.
    """

    def __init__(self, kind: str, entries: Mapping[str, str], expected: type | tuple[type, ...],
                 *, extras: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._expected = expected
        self._extras = dict(extras or {})
        self._targets: dict[str, tuple[str, str]] = {}
        for name, target in entries.items():
            module, sep, attribute = target.partition(":")
            if not (module and sep and attribute):
                raise ConfigurationError(f"{kind} {name!r}: target {target!r} is not "
                                         "'module:attribute'")
            self._targets[name] = (module, attribute)

    def __getitem__(self, name: str) -> tuple[str, str]:
        return self._targets[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    def names(self) -> tuple[str, ...]:
        """Every registered name, in registration order (nothing is imported)."""
        return tuple(self._targets)

    def target(self, name: str) -> tuple[str, str]:
        """The (module, attribute) of ``name``; an unknown name lists the known ones."""
        found = self._targets.get(name)
        if found is None:
            raise NotFoundError(self.kind, name, self._targets)
        return found

    def load(self, name: str) -> T:
        """The object registered as ``name``, imported now and checked against the expected type.

        Raises NotFoundError for an unknown name, MissingExtraError when the entry's optional
        extra is not installed, ConfigurationError when the entry names a wrong object.
        """
        module_name, attribute = self.target(name)
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            extra = self._extras.get(name)
            if extra is None:
                raise
            raise MissingExtraError(f"{self.kind} {name!r} needs an optional extra: "
                                    f"pip install 'mlsys[{extra}]' ({err})") from err
        if not hasattr(module, attribute):
            raise ConfigurationError(f"{self.kind} {name!r}: {module_name}:{attribute} is "
                                     f"missing (the module defines no {attribute!r})")
        obj = getattr(module, attribute)
        if not isinstance(obj, self._expected):
            raise ConfigurationError(
                f"{self.kind} {name!r}: {module_name}:{attribute} is {type(obj).__name__}, "
                f"not {_type_names(self._expected)}")
        return obj  # type: ignore[return-value]  # checked against ``expected`` just above


def _type_names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


__all__ = ["LazyRegistry"]
