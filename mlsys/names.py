"""Names: Hopsworks-style normalisation of feature names and safety checks on entity names."""

from __future__ import annotations

import re

from mlsys.errors import InvalidNameError

# Hopsworks entity names: lower-case letters, digits and underscores, at most 63 characters.
_ENTITY = re.compile(r"^[a-z0-9_]{1,63}$")
# Model names may also hold hyphens (hsml accepts them) and upper case.
_MODEL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]{0,62}$")


def feature_name(name: object) -> str:
    """Normalise a feature name as hsfs does: stripped, lower case, spaces to ``_``."""
    if not isinstance(name, str):
        raise InvalidNameError(f"feature name {name!r} is not a string; name columns with text")
    norm = name.strip().lower().replace(" ", "_")
    if not norm or not re.fullmatch(r"[a-z0-9_]+", norm) or len(norm) > 63:
        raise InvalidNameError(
            f"feature name {name!r} is not allowed; use letters, digits, spaces or underscores "
            "(at most 63 characters), e.g. 'fixed acidity' or 'fixed_acidity'"
        )
    return norm


def entity_name(name: object, kind: str = "feature group") -> str:
    """Check a feature group / view name; return it unchanged or raise InvalidNameError."""
    if not isinstance(name, str) or not _ENTITY.fullmatch(name):
        hint = ""
        if isinstance(name, str) and _ENTITY.fullmatch(name.strip().lower().replace(" ", "_")):
            hint = f" (did you mean {name.strip().lower().replace(' ', '_')!r}?)"
        raise InvalidNameError(
            f"{kind} name {name!r} is not allowed{hint}; use 1-63 lower-case letters, digits or "
            "underscores, with no path characters"
        )
    return name


def model_name(name: object) -> str:
    """Check a model name; return it unchanged or raise InvalidNameError."""
    if not isinstance(name, str) or not _MODEL.fullmatch(name):
        raise InvalidNameError(
            f"model name {name!r} is not allowed; use 1-63 letters, digits, '_' or '-', "
            "starting with a letter, digit or '_', with no path characters"
        )
    return name


def version_number(version: object, kind: str = "version") -> int:
    """Check a version: an int >= 1 (bool is refused)."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidNameError(f"{kind} {version!r} is not valid; give an integer >= 1, e.g. 1")
    return version
