"""Online prediction: the apps' pure predict function, and a running app over HTTP."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from benchmarks.bench_models import ensure_registered, subprocess_env
from benchmarks.bench_startup import mlsys_script
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
SERVER_START_TIMEOUT_S = 120


def wine_requests(n: int, seed: int = 5) -> list[tuple[str, dict[str, float]]]:
    """``n`` requests (type, measurements) drawn from the real wines, so all are in range."""
    import numpy as np

    from mlsys.systems import wine

    real = wine.load()
    rows = real.iloc[np.random.default_rng(seed).integers(0, len(real), size=n)]
    return [("white" if r["type_white"] else "red",
             {m: float(r[m]) for m in wine.MEASUREMENTS}) for _, r in rows.iterrows()]


def _one_row(request: tuple[str, dict[str, float]]) -> pd.DataFrame:
    import pandas as pd

    from mlsys.systems import wine

    kind, values = request
    row = {**values, "type_white": float(kind == "white")}
    return pd.DataFrame({f: [row[f]] for f in wine.FEATURES})


def bench_predict(ctx: Context) -> list[Figure]:
    """``predict_wine`` (checks + frame + predict_proba) vs ``predict_proba`` on a ready row."""
    from mlsys.apps.predict import predict_wine
    from mlsys.serving import load_best_model
    from mlsys.systems import get_system

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
    """``mlsys serve <app>`` on a free local port against the run's store; yields its URL and
    stops the server (only this process, by its pid) afterwards."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**subprocess_env(), "MLSYS_HOME": str(ctx.store_home), "MLSYS_BACKEND": "local"}
    log = (ctx.root / f"serve_{app}.log").open("w", encoding="utf-8")
    proc = subprocess.Popen([mlsys_script(), "serve", app, "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise BenchmarkError(f"mlsys serve {app} exited ({proc.returncode}): "
                                     + (ctx.root / f"serve_{app}.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise BenchmarkError(f"mlsys serve {app} did not answer within "
                                     f"{SERVER_START_TIMEOUT_S} s")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def predict_endpoint(client: Any) -> tuple[str, list[str]]:
    """The app's predict endpoint and its parameter names (from the app's own API info)."""
    info = client.view_api(return_format="dict", print_info=False)
    named = info.get("named_endpoints", {})
    for name, spec in named.items():
        if "predict" in name:
            return name, [p["parameter_name"] for p in spec["parameters"]]
    raise BenchmarkError(f"the wine app has no predict endpoint; it has {sorted(named)}")


def http_arguments(params: list[str], request: tuple[str, dict[str, float]]) -> dict[str, Any]:
    """Keyword arguments of the endpoint: the wine type and each measurement by name."""
    kind, values = request
    out: dict[str, Any] = {}
    for p in params:
        if p in values:
            out[p] = values[p]
        elif "type" in p:
            out[p] = kind
        else:
            raise BenchmarkError(f"the predict endpoint takes {params}; {p!r} is not a wine "
                                 "measurement or the type")
    return out


def bench_http(ctx: Context) -> list[Figure]:
    """Requests to a running wine app (``mlsys serve wine``) through ``gradio_client``."""
    from gradio_client import Client

    ensure_registered(ctx)
    requests = wine_requests(ctx.reps(1) * ctx.sizes.samples(HTTP_REQUESTS), seed=6)
    with running_app(ctx, "wine") as url:
        # no telemetry, and no downloading of file outputs (a plot is not the prediction)
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        api_name, params = predict_endpoint(client)

        def call(request: tuple[str, dict[str, float]]) -> Any:
            return client.predict(api_name=api_name, **http_arguments(params, request))

        first = call(requests[0])
        if not first:
            raise BenchmarkError(f"the wine app answered {first!r}")
        m = latencies(call, requests, warmup=10)
        client.close()
    return [Figure("predict_http", "online predict over HTTP: the running wine app "
                   "(gradio_client, one request at a time)", "ms",
                   Goal("p99 <= 50 ms", "value_max", 50.0), Stats.of(m), None, "—",
                   statistic="p99", extra={"requests": len(requests), "endpoint": api_name,
                                           "client": "gradio_client"})]
