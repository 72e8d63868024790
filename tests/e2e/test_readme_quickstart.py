"""The README's quick start, as written: its demo command and its "look at it" commands, parsed
from README.md and run verbatim in a fresh clone of the committed HEAD (so the test breaks when
the README and the code disagree), then the Space command of "Deploying the apps".

The demo's own output is left loose (it exits 0 and writes the reports the README names): what it
prints is the demo's business, what the README promises is checked here.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from apps_support import free_port

from mlsys.apps import check_port_free
from mlsys.errors import ConfigurationError

pytestmark = pytest.mark.readme

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _bash_lines(text: str) -> list[str]:
    """The commands of the ```bash blocks of ``text``, trailing comments removed."""
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    return [re.split(r"\s+#\s", line)[0].strip() for block in blocks
            for line in block.splitlines() if line.strip()]


@dataclass(frozen=True)
class QuickStart:
    """What the README tells a new user to run, and what it says they get."""

    demo: str
    status: str
    serve: str
    port: int
    port_option: str  # how the README says to pick another port: "--port"
    reports: list[str]
    space: str


def _quick_start() -> QuickStart:
    quick = _section("Quick start")
    demo = next(c for c in _bash_lines(quick) if "nox -s demo" in c)
    look = _bash_lines(quick[quick.index("look at it"):])
    serve_line = next(line for line in quick.splitlines() if " serve " in line)
    url = re.search(r"http://127\.0\.0\.1:(\d+)", serve_line)
    rule = re.search(r"add `(--port) \d+`", quick)
    assert url and rule, "the quick start no longer names the serve URL or how to change port"
    space = next(c for c in _bash_lines(_section("Deploying the apps and the schedules"))
                 if " space " in c and "--bundle-store" in c)
    return QuickStart(demo=demo, status=next(c for c in look if c.endswith(" status")),
                      serve=next(c for c in look if " serve " in c), port=int(url.group(1)),
                      port_option=rule.group(1),
                      reports=re.findall(r"`(reports/[\w/]+\.html)`", quick), space=space)


QUICK = _quick_start()


def _user_env() -> dict[str, str]:
    """A new user's shell: none of this process's store, server or nox settings, and `python3`
    is this interpreter (the Python 3.11+ the README asks for)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLSYS_", "HOPSWORKS_", "GRADIO_", "NOX_", "PYTEST_"))
           and k not in {"VIRTUAL_ENV", "PYTHONPATH", "HF_TOKEN"}}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(command: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=_user_env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone of the committed HEAD, with the README's demo command run in it."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True)
    if head.returncode != 0:
        pytest.fail(f"{ROOT} is not a git checkout; this test clones it: {head.stderr}")
    target = tmp_path_factory.mktemp("readme") / "mlsys"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)],
                   check=True, timeout=300)
    subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "--detach",
                    head.stdout.strip()], check=True, timeout=300)
    done = _run(QUICK.demo, target, timeout=1800)
    assert done.returncode == 0, f"{QUICK.demo}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return target


def test_the_demo_writes_the_reports_the_readme_names(clone: Path) -> None:
    assert QUICK.reports, "the quick start names no report"
    for report in QUICK.reports:
        assert (clone / report).is_file(), f"{report} is missing after `{QUICK.demo}`"
    assert (clone / ".mlsys").is_dir()  # the store the "look at it" lines point at


def test_status_lists_both_systems(clone: Path) -> None:
    done = _run(QUICK.status, clone, timeout=300)
    assert done.returncode == 0, f"{QUICK.status}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    for system in ("iris", "wine"):
        assert system in done.stdout, f"`{QUICK.status}` does not mention {system}:\n{done.stdout}"


def _port_free(port: int) -> bool:
    try:
        check_port_free("127.0.0.1", port)
    except ConfigurationError:
        return False
    return True


def test_serve_answers_on_the_readme_url(clone: Path, tmp_path: Path) -> None:
    command, port = QUICK.serve, QUICK.port
    if not _port_free(port):  # as the README says: add --port to the line
        port = free_port()
        command = f"{command} {QUICK.port_option} {port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # a session of its own: stopping its process group stops the shell and the server
        server = subprocess.Popen(["bash", "-c", command], cwd=clone, env=_user_env(),
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, f"`{command}` exited:\n{log.read_text()}"
            try:
                page = httpx.get(url, timeout=5)
                if page.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{url} did not answer:\n{log.read_text()}"
            time.sleep(0.5)
        assert "Iris" in page.text, page.text[:500]  # the Iris dashboard, not another server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def test_the_space_command_bundles_the_demo_store(clone: Path) -> None:
    done = _run(QUICK.space, clone, timeout=300)
    assert done.returncode == 0, f"{QUICK.space}\n{done.stdout}\n{done.stderr}"
    out = clone / shlex.split(QUICK.space)[shlex.split(QUICK.space).index("--out") + 1]
    app = out.name
    assert (out / "app.py").read_bytes() == (clone / "spaces" / app / "app.py").read_bytes()
    assert (out / "requirements.txt").read_text() == \
        (clone / "spaces" / app / "requirements.txt").read_text()
    assert (out / "mlsys" / "__init__.py").is_file()
    assert (out / "store" / "mlsys" / "catalog.sqlite").is_file()
    assert "MLSYS_HOME=store" in done.stdout
