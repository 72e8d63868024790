"""A small hand-made local store for the console tests: commits, a failed validation, a view
with a recorded training dataset, two models trained on it (one with an image), hostile text."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import mlsys

HOSTILE = "<script>alert('x')</script>"
SUITE = {"name": "x_in_range", "expectations": [
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "x", "min_value": 0, "max_value": 100}}]}
MODEL = "iris_model"  # a known system's model name: the console lists the systems' models


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (grey) PNG image, so a browser decodes it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _rows(ids: range, x: float, label: str = "ok") -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "ts": pd.Timestamp("2024-01-01", tz="UTC")
                         + pd.to_timedelta(list(ids), unit="min"),
                         "x": [x] * len(ids), "label": [label] * len(ids)})


@dataclass(frozen=True)
class ConsoleStore:
    home: Path
    first_commit: int  # 60 rows
    failed_commit: int  # +1 row with x=999 (fails the suite, ingested under ALWAYS)


def build(home: Path) -> ConsoleStore:
    project = mlsys.login(backend="local", home=home)
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("items", 1, primary_key=["id"], event_time="ts",
                                        description=f"items {HOSTILE}")
    fg.save_expectation_suite(SUITE, validation_ingestion_policy="always")
    first = fg.insert(_rows(range(60), 1.0))[0].commit_version
    fg.insert(_rows(range(60, 70), 2.0, label=HOSTILE))
    failed = fg.insert(_rows(range(70, 71), 999.0))[0].commit_version
    assert first is not None and failed is not None
    fv = fs.get_or_create_feature_view("items_view", 1, fg.select(["x", "label"]),
                                       labels=["label"])
    fv.train_test_split(test_size=0.25, seed=7)
    td = fv.get_last_accessed_training_dataset()
    folder = home.parent / "model-files"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"not really a pickle")
    (folder / "confusion_matrix.png").write_bytes(png())
    mr = project.get_model_registry()
    for score in (0.5, 0.8, 0.6):  # v2 is the best by macro F1: the served one
        mr.python.create_model(MODEL, metrics={"macro_f1": score, "baseline_macro_f1": 0.3},
                               description=f"model {HOSTILE}", feature_view=fv,
                               training_dataset_version=td,
                               input_example=_rows(range(1), 1.0)[["x"]]).save(str(folder))
    picture = home.parent / "iris_accuracy.png"  # a monitoring picture of the iris system
    picture.write_bytes(png())
    api = project.get_dataset_api()
    api.mkdir("Resources/images")
    api.upload(str(picture), "Resources/images")
    project.close()
    return ConsoleStore(home, first, failed)
