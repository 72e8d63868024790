"""The opt-in ``bench_peers`` nox session, for the lead to paste into noxfile.py.

It uses noxfile.py's own ``PYTHON``, ``_install`` and ``_env``. Feast and MLflow go into the
session's own virtualenv only (they are not mlsys dependencies), so ``nox -s bench`` and the
test environments never see them. Not in ``nox.options.sessions``: it runs only when named.
"""

from __future__ import annotations

import nox

PYTHON = "3.11"
# Versions the reference figures were measured with; Feast's duckdb extra for its
# faster offline store (both the file and the duckdb offline stores are measured).
PEERS = ("feast[duckdb]==0.67.*", "mlflow==3.17.*")


def _install(session: nox.Session, extras: str) -> None:  # noxfile.py has the real one
    session.install("-e", f".[{extras}]" if extras else ".")


def _env() -> dict[str, str]:  # noxfile.py has the real one
    return {"GX_ANALYTICS_ENABLED": "False", "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}


# ---- paste from here -------------------------------------------------------------------------
@nox.session(python=PYTHON)
def bench_peers(session: nox.Session) -> None:
    """Opt-in: mlsys vs Feast (local, SQLite online) and MLflow (SQLite) at 100k rows."""
    _install(session, "")
    session.install(*PEERS)
    # Feast and MLflow phone home unless told not to
    env = {**_env(), "FEAST_USAGE": "False", "MLFLOW_ENABLE_TELEMETRY": "false",
           "DO_NOT_TRACK": "1"}
    session.run("python", "-m", "benchmarks.peers.run_peers", *session.posargs, env=env)
