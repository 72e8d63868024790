"""Sessions for tests, lint, validation, the daily pipelines and benchmarks (run ``nox -l``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
ROOT = Path(__file__).parent
# Sessions that run the systems share one store, so `nox -s daily` grows the history that
# `nox -s train` and the dashboards read. MLSYS_HOME overrides it.
STORE = os.environ.get("MLSYS_HOME", str(ROOT / ".mlsys"))
IN_BUCKET = STORE.startswith("s3://")  # the store on object storage: the [s3] extra
# the data-quality report: in the store's folder, or here beside the checkout for a bucket
REPORTS = ROOT / ".mlsys" / "reports" if IN_BUCKET else Path(STORE) / "reports"
PIPELINE_SESSIONS = {"validate", "backfill", "train", "daily"}


def _on_hopsworks() -> bool:
    """The pipelines target Hopsworks when its API key is set (e.g. as a CI secret)."""
    return bool(os.environ.get("HOPSWORKS_API_KEY"))


def _install(session: nox.Session, extras: str) -> None:
    """Install mlsys itself with the named extras; every dependency comes from pyproject.toml."""
    if _on_hopsworks() and session.name in PIPELINE_SESSIONS:
        extras = ",".join(e for e in (extras, "hopsworks") if e)
    elif IN_BUCKET:
        extras = ",".join(e for e in (extras, "s3") if e)
    session.install("-e", f".[{extras}]" if extras else ".")


def _extra(name: str) -> list[str]:
    """The requirements of one optional-dependency group of pyproject.toml."""
    extras = nox.project.load_toml(ROOT / "pyproject.toml")["project"]["optional-dependencies"]
    return list(extras[name])


def _systems(session: nox.Session) -> list[str]:
    """The registered systems, as the installed ``mlsys systems`` lists them (one registry,
    read in the session's venv, so nox itself needs none of mlsys's dependencies)."""
    out = session.run("mlsys", "systems", silent=True, env=_env())
    return str(out).split() if out else []  # None: --install-only ran nothing


def _env() -> dict[str, str]:
    env = {"MLSYS_HOME": STORE, "GX_ANALYTICS_ENABLED": "False",
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    if _on_hopsworks():
        env["MLSYS_BACKEND"] = "hopsworks"
    return env


def _ensure_chromium(session: nox.Session) -> None:
    """The browser tests drive Debian's Chromium; install it when missing and we may (root)."""
    if shutil.which("chromium") or os.environ.get("MLSYS_CHROMIUM"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True,
                    env={"DEBIAN_FRONTEND": "noninteractive"})
    else:
        session.warn("chromium not found: install Debian's 'chromium' package (or set "
                     "MLSYS_CHROMIUM to a Chromium binary); the browser tests will fail without it")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (code, data, model, contract, e2e, fast reliability, browser)."""
    _install(session, "ui,test")
    _ensure_chromium(session)
    session.run("pytest", "-m", "not slow and not hopsworks", *session.posargs,
                env={"GX_ANALYTICS_ENABLED": "False", "GRADIO_ANALYTICS_ENABLED": "False"})


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff on the whole tree (ruff alone, at the version the lint extra asks for)."""
    ruff = [d for d in _extra("lint") if d.startswith("ruff")]
    session.install(*ruff)
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy on the mlsys package, the benchmarks and this noxfile."""
    _install(session, "lint")
    session.run("mypy")


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Pandera schemas and attached GE suites over every feature group; writes the DQ report."""
    _install(session, "")
    session.run("mlsys", "validate", "--out", str(REPORTS), env=_env())


@nox.session(python=PYTHON)
def backfill(session: nox.Session) -> None:
    """Load the real data of every system into its feature group (idempotent)."""
    _install(session, "")
    for system in _systems(session):
        session.run("mlsys", "backfill", system, env=_env())


@nox.session(python=PYTHON)
def train(session: nox.Session) -> None:
    """Train and register the models of every system (backfilling first if the store is new)."""
    _install(session, "")
    for system in _systems(session):
        session.run("mlsys", "backfill", system, env=_env())  # idempotent
        session.run("mlsys", "train", system, env=_env())


@nox.session(python=PYTHON)
def daily(session: nox.Session) -> None:
    """Daily features (catching up missed days) then batch inference, for every system."""
    _install(session, "")
    env = _env()
    for system in _systems(session):
        # backfill and train --if-missing do nothing on a running store; on an empty one
        # (a new Hopsworks project, a lost cache) they make the first scheduled run work
        session.run("mlsys", "backfill", system, env=env)
        session.run("mlsys", "daily", system, "--catch-up", env=env)
        session.run("mlsys", "train", system, "--if-missing", env=env)
        session.run("mlsys", "infer", system, env=env)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """A fresh store: backfill, 30 days of catch-up, training, inference and reports."""
    _install(session, "ui")  # the README's next command serves a dashboard from this venv
    session.run("mlsys", "demo", "--fresh", "--days", "30", *session.posargs, env=_env())


@nox.session(python=PYTHON)
def space(session: nox.Session) -> None:
    """One app's Hugging Face Space folder with mlsys bundled; --push uploads it (HF_TOKEN).

    nox -s space -- iris-dashboard --out build/iris-dashboard --bundle-store   (a local store)
    nox -s space -- iris --out build/iris --backend hopsworks --push <you>/iris
    """
    _install(session, "ui")
    session.run("mlsys", "space", *session.posargs)


PEERS = ("feast[duckdb]==0.67.*", "mlflow==3.17.*")


@nox.session(python=PYTHON)
def bench_peers(session: nox.Session) -> None:
    """Opt-in: mlsys vs Feast (local, SQLite online) and MLflow (SQLite) at 100k rows."""
    _install(session, "")
    session.install(*PEERS)
    env = {**_env(), "FEAST_USAGE": "False", "MLFLOW_ENABLE_TELEMETRY": "false",
           "DO_NOT_TRACK": "1"}
    session.run("python", "-m", "benchmarks.peers.run_peers", *session.posargs, env=env)


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """The long crash, concurrency and hostile-input runs (tests/reliability, slow included)."""
    _install(session, "ui,test")
    session.run("pytest", "tests/reliability", "-m", "slow or not slow", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks of every path against a bare baseline in the same run."""
    _install(session, "ui,test,bench")  # test brings moto[server] and obstore: bench_bucket
    session.run("python", "-m", "benchmarks", *session.posargs)


HOPSWORKS_ADAPTER_TESTS = sorted(str(p) for p in Path("tests/code").glob("test_hopsworks_*.py"))


@nox.session(python=PYTHON)
def hopsworks(session: nox.Session) -> None:
    """Adapter tests, and the store contract on a real cluster (skips without HOPSWORKS_API_KEY)."""
    _install(session, "hopsworks,test")
    session.run("pytest", "tests/contract", *HOPSWORKS_ADAPTER_TESTS,
                "-m", "hopsworks or not hopsworks", *session.posargs)


@nox.session(python=PYTHON)
def hopsworks_compat(session: nox.Session) -> None:
    """The whole default suite (but the browser) beside the hopsworks SDK and its deltalake."""
    _install(session, "ui,hopsworks,test")
    # hopsworks[python] pins hops-deltalake, which installs into the same site-packages/deltalake/
    # as mlsys's deltalake wheel; the one written last is imported and pip sees no conflict.
    # Reinstall the SDK's build last, so the suite runs on it (what a user gets who adds the
    # extra to an existing environment).
    pinned = session.run("python", "-c", "import importlib.metadata as m; "
                         "print(m.version('hops-deltalake'))", silent=True)
    session.install("--force-reinstall", "--no-deps", f"hops-deltalake=={str(pinned).strip()}")
    session.run("python", "-c", "import deltalake; deltalake.write_deltalake; "
                "print('deltalake module', deltalake.__version__)")
    # the browser tests only drive the pages the same app functions serve, checked here already;
    # the README walk-through runs its own `nox -s demo` venv, the same in both sessions
    session.run("pytest", "-m", "not slow and not hopsworks and not browser and not readme",
                *session.posargs,
                env={"GX_ANALYTICS_ENABLED": "False", "GRADIO_ANALYTICS_ENABLED": "False"})
