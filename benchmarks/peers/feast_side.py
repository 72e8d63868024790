"""Feast (local provider, SQLite online store) running the peers benchmark's operations."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

KEY = "wine_id"
VIEW = "wine_features"
TTL = timedelta(days=3650)


@dataclass
class FeastRepo:
    """A Feast repository in a directory: config, entity, one feature view over a parquet file."""

    root: Path
    offline: str  # "file" or "duckdb"

    @property
    def parquet(self) -> Path:
        return self.root / "features.parquet"

    def write_config(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        (self.root / "feature_store.yaml").write_text(textwrap.dedent(f"""\
            project: mlsys_bench
            registry: {self.root / 'data' / 'registry.db'}
            provider: local
            online_store:
              type: sqlite
              path: {self.root / 'data' / 'online_store.db'}
            offline_store:
              type: {self.offline}
            """), encoding="utf-8")

    def store(self) -> Any:
        from feast import FeatureStore

        return FeatureStore(repo_path=str(self.root))

    def definitions(self, features: list[str]) -> tuple[Any, Any]:
        from feast import Entity, FeatureView, Field, FileSource, ValueType
        from feast.types import Float64, Int64

        entity = Entity(name="wine", join_keys=[KEY], value_type=ValueType.INT64)
        source = FileSource(path=str(self.parquet), timestamp_field="event_time")
        schema = [Field(name=f, dtype=Int64 if f == "type_white" else Float64)
                  for f in features]
        view = FeatureView(name=VIEW, entities=[entity], ttl=TTL, schema=schema,
                           source=source, online=True)
        return entity, view


def feature_refs(features: list[str]) -> list[str]:
    return [f"{VIEW}:{f}" for f in features]


def write_offline(repo: FeastRepo, frame: pd.DataFrame) -> None:
    """Feast's "insert": the rows as the parquet file its FileSource reads."""
    frame.to_parquet(repo.parquet, index=False)


def apply(repo: FeastRepo, features: list[str]) -> Any:
    """Register the entity and view (``feast apply``); returns the FeatureStore."""
    repo.write_config()
    store = repo.store()
    store.apply(list(repo.definitions(features)))
    return store


def materialize(store: Any, frame: pd.DataFrame) -> None:
    """Load the latest row per entity into the SQLite online store."""
    start = frame["event_time"].min().to_pydatetime() - timedelta(seconds=1)
    end = frame["event_time"].max().to_pydatetime() + timedelta(seconds=1)
    store.materialize(start_date=start, end_date=end, feature_views=[VIEW])


def historical(store: Any, entities: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Point-in-time training data for ``entities`` (wine_id, event_timestamp)."""
    frame: pd.DataFrame = store.get_historical_features(
        entity_df=entities, features=feature_refs(features)).to_df()
    return frame


def online_lookup(store: Any, features: list[str]) -> Any:
    """``lookup(wine_id)``: one ``get_online_features`` call for one key."""
    refs = feature_refs(features)

    def lookup(key: int) -> dict[str, Any]:
        out: dict[str, Any] = store.get_online_features(
            features=refs, entity_rows=[{KEY: key}]).to_dict()
        return out

    return lookup
