"""Which mlsys extra brings each optional dependency, and the one-line error when one is missing."""

from __future__ import annotations

from mlsys.errors import MissingExtraError

# top-level module -> the extra of pyproject.toml that installs it
EXTRA_OF: dict[str, str] = {
    "gradio": "ui",
    "gradio_client": "ui",
    "huggingface_hub": "ui",
    "starlette": "ui",
    "uvicorn": "ui",
    "hopsworks": "hopsworks",
    "hopsworks_common": "hopsworks",
    "hsfs": "hopsworks",
    "hsml": "hopsworks",
    "playwright": "test",
    "pyinstrument": "bench",
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, quoted for a POSIX shell."""
    return f"pip install 'mlsys[{extra}]'"


def missing_extra(err: ImportError, needed_by: str) -> MissingExtraError | None:
    """The error to raise for ``err`` when it is a missing optional dependency, else None.

    ``needed_by`` names what wanted it (``"the iris-dashboard app"``), so the message reads
    "the iris-dashboard app needs gradio, which is not installed: pip install 'mlsys[ui]'".
    """
    module = (getattr(err, "name", None) or "").split(".")[0]
    extra = EXTRA_OF.get(module)
    if extra is None:
        return None
    return MissingExtraError(
        f"{needed_by} needs {module}, which is not installed: {install_hint(extra)}")


__all__ = ["EXTRA_OF", "install_hint", "missing_extra"]
