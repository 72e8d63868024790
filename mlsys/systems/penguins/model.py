"""The penguins model: one pipeline that imputes the gaps, one-hot encodes island and sex, and
fits a multinomial logistic regression, scored beside the majority class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlsys.systems.penguins.data import (
    CATEGORICAL,
    CLASSES,
    LABEL,
    MEASUREMENTS,
    input_schema,
)

if TYPE_CHECKING:
    import pandas as pd

    from mlsys.training import TrainedModel

KIND = "logistic_regression"
C = 1.0  # the default strength: the species separate well, nothing to tune on 275 rows


def _as_nan(frame: Any) -> Any:
    """Missing categories as NaN whatever the store handed back (None, NaN, pandas' NA), the
    one missing value the imputer recognises in an object column."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(frame).astype(object)
    return frame.where(frame.notna(), np.nan)


def pipeline(seed: int) -> Any:
    """The unfitted model: median-imputed, standardised measurements and most-frequent-imputed,
    one-hot island and sex (an island never seen in training encodes as all zeros), then a
    logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numbers = Pipeline([("impute", SimpleImputer(strategy="median")),
                        ("scale", StandardScaler())])
    categories = Pipeline([("as_nan", FunctionTransformer(_as_nan)),
                           ("impute", SimpleImputer(strategy="most_frequent")),
                           ("one_hot", OneHotEncoder(handle_unknown="ignore"))])
    prepare = ColumnTransformer([("measurements", numbers, list(MEASUREMENTS)),
                                 ("categories", categories, list(CATEGORICAL))])
    return Pipeline([("prepare", prepare),
                     ("classify", LogisticRegression(C=C, max_iter=2000, random_state=seed))])


def _labels(y: pd.Series, what: str) -> pd.Series:
    import pandas as pd

    from mlsys.errors import SchemaError

    unknown = sorted(set(map(str, y.dropna())) - set(CLASSES))
    if unknown or y.isna().any():
        raise SchemaError(f"{what} holds labels {unknown or ['null']}, not one of {CLASSES}; "
                          f"pass the {LABEL} column")
    return pd.Series(y, dtype=str)


def train(X_train: pd.DataFrame, y_train: pd.Series,  # noqa: N803 (sklearn's X convention)
          X_test: pd.DataFrame, y_test: pd.Series, seed: int) -> list[TrainedModel]:  # noqa: N803
    """The penguins model on a given split, with the held-out metrics (accuracy,
    balanced_accuracy, macro_f1, recall_<species>) and the majority-class baseline's, prefixed
    ``baseline_``."""
    from mlsys.training import TrainedModel, evaluate, majority_baseline
    from mlsys.validation.schemas import check_frame

    x_train = check_frame(input_schema(), X_train, "X_train")
    x_test = check_frame(input_schema(), X_test, "X_test")
    y_train = _labels(y_train, "y_train")
    y_test = _labels(y_test, "y_test")
    model = pipeline(seed).fit(x_train, y_train)
    metrics, confusion = evaluate(model, x_test, y_test, CLASSES)
    baseline = {f"baseline_{k}": v
                for k, v in majority_baseline(y_train, x_test, y_test, CLASSES).items()}
    params = {"C": C, "imputation": "median / most frequent", "encoding": "one-hot island, sex"}
    return [TrainedModel(KIND, model, {**metrics, **baseline}, params, confusion, CLASSES)]
