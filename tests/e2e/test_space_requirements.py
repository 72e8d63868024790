"""Each Space's requirements resolve as Hugging Face installs them: pip's resolver in a fresh venv
of the front matter's Python, with the packages the Gradio SDK image adds (registry needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from mlsys.apps import APPS
from mlsys.apps.space import bundle_space, sdk_version, space_requirements, spaces_dir

SPACES = spaces_dir()
# what the Gradio SDK's Dockerfile installs in the same pip command as requirements.txt
# (`RUN --mount=target=/tmp/requirements.txt ... pip install -r /tmp/requirements.txt ...`)
SDK_PACKAGES = ("gradio[oauth,mcp]=={version}", "uvicorn>=0.14.0", "websockets>=10.4", "spaces")


def _python_version() -> str:
    versions = set()
    for app in APPS:
        text = (SPACES / app / "README.md").read_text(encoding="utf-8")
        versions.add(str(yaml.safe_load(text[4:text.index("\n---\n", 4)])["python_version"]))
    assert len(versions) == 1, versions
    return versions.pop()


@pytest.fixture(scope="module")
def space_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv of the Spaces' python_version (nothing installed in it but pip)."""
    version = _python_version()
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = sys.executable if here == version else shutil.which(f"python{version}")
    if base is None:
        pytest.fail(f"the Spaces ask for Python {version}; install python{version} to check "
                    "that their requirements resolve on it")
    target = tmp_path_factory.mktemp("space-venv")
    if base == sys.executable:
        venv.create(target, with_pip=True)
    else:
        subprocess.run([base, "-m", "venv", str(target)], check=True, timeout=300)
    python = target / "bin" / "python"
    out = subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith(version), out.stdout
    return python


def _resolve(python: Path, requirements: Path, gradio: str, report: Path) -> dict[str, str]:
    """pip's dry-run install of the Space; {distribution name: version} it would install."""
    cmd = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
           "--report", str(report), "-r", str(requirements),
           *(p.format(version=gradio) for p in SDK_PACKAGES)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr[-4000:]}"
    installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
            for i in installs}


def test_the_spaces_share_one_set_of_requirements() -> None:
    bodies = {app: (SPACES / app / "requirements.txt").read_text().split("\n", 1)[1]
              for app in APPS}
    assert len(set(bodies.values())) == 1, bodies  # so resolving one resolves them all


@pytest.mark.parametrize("backend", ["local", "hopsworks"])
def test_space_requirements_resolve_on_the_spaces_python(backend: str, space_python: Path,
                                                         tmp_path: Path) -> None:
    app = "iris-dashboard"
    gradio = sdk_version(SPACES / app)
    if backend == "local":  # the committed folder is the local Space as written
        requirements = SPACES / app / "requirements.txt"
        assert requirements.read_text() == space_requirements(app, gradio)
    else:
        requirements = bundle_space(app, tmp_path / "space", backend=backend).path / \
            "requirements.txt"
    resolved = _resolve(space_python, requirements, gradio, tmp_path / "report.json")
    assert resolved["gradio"] == gradio
    for name in ("deltalake", "pandas", "pyarrow", "pandera", "great-expectations",
                 "scikit-learn", "matplotlib", "typer"):
        assert name in resolved, f"{name} is not installed: {sorted(resolved)}"
    assert ("hopsworks" in resolved) == (backend == "hopsworks"), sorted(resolved)
    assert "mlsys" not in resolved  # bundled as source, not fetched
