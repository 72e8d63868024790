"""Online prediction: the apps' pure predict function, and a running app over HTTP."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from benchmarks.bench_models import ensure_registered, subprocess_env
from benchmarks.context import python, stop_process
from benchmarks.harness import (
    BenchmarkError,
    Case,
    Figure,
    Goal,
    Stats,
    interleaved_latencies,
    latencies,
)

if TYPE_CHECKING:
    import pandas as pd

    from benchmarks.context import Context

REQUESTS = 1000  # calls of the predict function
HTTP_REQUESTS = 200  # requests to the running app (bounded: each is a real round trip)
GRADIO_CLIENT_REQUESTS = 50  # the same through gradio_client, for comparison
SERVER_START_TIMEOUT_S = 120
SERVE = """
import mlsys
from mlsys.apps import build_app
build_app({app!r}, mlsys.login()).launch(server_name="127.0.0.1", server_port={port})
"""


def wine_requests(n: int, seed: int = 5) -> list[tuple[str, dict[str, float]]]:
    """``n`` requests (type, measurements) drawn from the real wines, so all are in range."""
    import numpy as np

    from mlsys.systems.wine import data as wine

    real = wine.load()
    rows = real.iloc[np.random.default_rng(seed).integers(0, len(real), size=n)]
    return [("white" if r["type_white"] else "red",
             {m: float(r[m]) for m in wine.MEASUREMENTS}) for _, r in rows.iterrows()]


def _one_row(request: tuple[str, dict[str, float]]) -> pd.DataFrame:
    import pandas as pd

    from mlsys.systems.wine import data as wine

    kind, values = request
    row = {**values, "type_white": float(kind == "white")}
    return pd.DataFrame({f: [row[f]] for f in wine.FEATURES})


def bench_predict(ctx: Context) -> list[Figure]:
    """``predict_wine`` (checks + frame + predict_proba) vs ``predict_proba`` on a ready row."""
    from mlsys.serving import load_best_model
    from mlsys.systems import get_system
    from mlsys.systems.wine.app import predict_wine

    ensure_registered(ctx)
    model = load_best_model(ctx.project, get_system("wine"))
    requests = wine_requests(ctx.reps(1) * ctx.sizes.samples(REQUESTS))
    frames = {id(r): _one_row(r) for r in requests}  # the baseline gets its row ready-made
    first = predict_wine(model, *requests[0])
    bare = model.estimator.predict_proba(frames[id(requests[0])])[0]
    if [round(p, 12) for p in first.probabilities.values()] != [round(float(p), 12)
                                                                 for p in bare]:
        raise BenchmarkError(f"predict_wine says {first.probabilities}, the model {bare}")
    m, b = interleaved_latencies(lambda r: predict_wine(model, *r),
                                 lambda r: model.estimator.predict_proba(frames[id(r)]),
                                 requests)
    ctx.maybe_profile("predict", Case(lambda _a: [predict_wine(model, *r)
                                                  for r in requests]))
    return [Figure("predict", "online predict: the wine app's predict function, one request",
                   "ms", Goal("p99 ratio <= 2", "ratio_max", 2.0), Stats.of(m), Stats.of(b),
                   "the bare model's predict_proba on one ready row", statistic="p99",
                   extra={"requests": len(requests), "model": type(model.estimator).__name__})]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_app(ctx: Context, app: str) -> Iterator[str]:
    """The app launched as ``mlsys serve`` does (``build_app(...).launch``) on a free local port
    against the run's store, in a subprocess; yields its URL and stops that process (by its own
    handle, nothing else) afterwards."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**subprocess_env(), "MLSYS_HOME": str(ctx.store_home), "MLSYS_BACKEND": "local"}
    log = (ctx.root / f"serve_{app}.log").open("w", encoding="utf-8")
    code = SERVE.format(app=app, port=port)
    proc = subprocess.Popen([python(), "-c", code], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchmarkError(f"app {app} exited ({proc.returncode}): "
                                     + (ctx.root / f"serve_{app}.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchmarkError(f"app {app} did not answer within "
                                     f"{SERVER_START_TIMEOUT_S} s")
            time.sleep(0.25)
        yield url
    finally:
        stop_process(proc, timeout_s=20)
        log.close()


def predict_endpoint(client: Any) -> tuple[str, int]:
    """The app's predict endpoint and its number of parameters (from the app's API info)."""
    info = client.view_api(return_format="dict", print_info=False)
    named = info.get("named_endpoints", {})
    for name, spec in named.items():
        if "predict" in name:
            return name, len(spec["parameters"])
    raise BenchmarkError(f"the wine app has no predict endpoint; it has {sorted(named)}")


def http_arguments(request: tuple[str, dict[str, float]]) -> list[Any]:
    """Positional inputs of the wine app: the type, then each measurement in field order."""
    from mlsys.systems.wine.inputs import wine_fields

    kind, values = request
    return [kind, *(values[f.name] for f in wine_fields())]


def rest_predict(http: Any, api: str, args: list[Any]) -> list[Any]:
    """One prediction through Gradio's REST API, as a lean client does: POST the inputs to
    ``/gradio_api/call/<api>``, then read the result from the event stream of that call."""
    r = http.post(f"gradio_api/call/{api}", json={"data": args})
    r.raise_for_status()
    event = r.json()["event_id"]
    kind = None
    with http.stream("GET", f"gradio_api/call/{api}/{event}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                if kind == "error":
                    raise BenchmarkError(f"the app failed on {args}: {line[5:].strip()}")
                data: list[Any] = json.loads(line[5:])
                return data
    raise BenchmarkError(f"the event stream of {api} ended without a result")


def bench_http(ctx: Context) -> list[Figure]:
    """Requests, one at a time, to the running wine app: through Gradio's REST API with httpx
    (the figure) and through ``gradio_client`` (reported alongside: it adds its own overhead)."""
    import httpx
    from gradio_client import Client

    ensure_registered(ctx)
    requests = wine_requests(ctx.reps(1) * ctx.sizes.samples(HTTP_REQUESTS), seed=6)
    arguments = [http_arguments(r) for r in requests]
    with running_app(ctx, "wine") as url:
        # no telemetry, and no downloading of file outputs (a plot is not the prediction)
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        api_name, n_params = predict_endpoint(client)
        if len(arguments[0]) != n_params:
            raise BenchmarkError(f"{api_name} takes {n_params} inputs, not the type and "
                                 f"{len(arguments[0]) - 1} measurements")
        with httpx.Client(base_url=url, timeout=30) as http:
            first = rest_predict(http, api_name.lstrip("/"), arguments[0])
            via_client = client.predict(*arguments[0], api_name=api_name)
            if first[0] not in ("poor", "fair", "excellent") or via_client[0] != first[0]:
                raise BenchmarkError(f"the wine app answered {first!r} / {via_client!r}")
            m = latencies(lambda a: rest_predict(http, api_name.lstrip("/"), a), arguments,
                          warmup=10)
        sdk = Stats.of(latencies(lambda a: client.predict(*a, api_name=api_name),
                                 arguments[:GRADIO_CLIENT_REQUESTS], warmup=5))
        client.close()
    return [Figure("predict_http", "online predict over HTTP: the running wine app, one "
                   "request at a time (Gradio REST API via httpx)", "ms",
                   Goal("p99 <= 50 ms", "value_max", 50.0), Stats.of(m), None, "—",
                   statistic="p99",
                   extra={"requests": len(requests), "endpoint": api_name,
                          "gradio_client_ms": {"n": sdk.n, "p50": sdk.median * 1e3,
                                               "p99": sdk.p99 * 1e3}})]
