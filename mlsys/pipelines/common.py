"""What every pipeline needs: the system's feature group with its suite, and key helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsys.errors import NotFoundError

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.store.api import FeatureGroup, FeatureStore, Project
    from mlsys.systems.base import System

# 2: each prediction records its model's training dataset and whether its row was in it
PREDICTIONS_VERSION = 2
IMAGES_DIR = "Resources/images"


def feature_group(project: Project, system: System) -> FeatureGroup:
    """The system's feature group, created on first use with its GE suite attached STRICT."""
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group(
        name=system.feature_group, version=system.version,
        primary_key=list(system.primary_key), event_time=system.event_time,
        description=system.description, online_enabled=True,
        reject_duplicate_keys=True,  # mlsys's own data has unique keys: a repeat is a bug
    )
    if fg.get_expectation_suite() is None or fg.validation_ingestion_policy != "STRICT":
        fg.save_expectation_suite(system.suite(),
                                  validation_ingestion_policy="strict", overwrite=True)
    return fg


def existing_feature_group(project: Project, system: System) -> FeatureGroup:
    """The system's feature group; a clear error says which pipeline to run when it is missing."""
    fs = project.get_feature_store()
    try:
        return fs.get_feature_group(system.feature_group, system.version)
    except NotFoundError as err:
        raise NotFoundError(
            "feature group", f"{system.feature_group} v{system.version} "
            f"(run `mlsys backfill {system.name}` first)", err.existing,
        ) from None


def predictions_group(fs: FeatureStore, system: System) -> FeatureGroup:
    """The monitoring group of predictions: key, event time, prediction, label, model version,
    the model's training-dataset version and whether the row was in its training split."""
    return fs.get_or_create_feature_group(
        name=system.predictions_group, version=PREDICTIONS_VERSION,
        primary_key=list(system.primary_key), event_time=system.event_time,
        description=f"Batch predictions of {system.model_name} with the true label, by key, and "
                    "whether the row was in the model's training data (in_training_data)",
        reject_duplicate_keys=True,
    )


def read_or_empty(fg: FeatureGroup) -> pd.DataFrame:
    """The group's rows, or an empty frame before its first insert."""
    import pandas as pd

    if not fg.features:
        return pd.DataFrame()
    return fg.read()


def anti_join(new: pd.DataFrame, old: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``new`` whose ``keys`` do not appear in ``old``."""
    if old.empty or new.empty:
        return new
    marker = old[keys].drop_duplicates().assign(_present=True)
    merged = new.merge(marker, on=keys, how="left")
    return new.loc[merged["_present"].isna().to_numpy()].reset_index(drop=True)
