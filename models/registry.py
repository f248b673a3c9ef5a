"""The MLflow model registry for every model family: log and register, aliases, load.

Aliases, not stages: `champion` is what scoring uses, `challenger` marks the latest
trained version that has not (yet) been promoted. Functions take the registered model's
name; each family keeps its own name (e.g. `models.segmentation.registered_model`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from importlib.metadata import version as installed_version
from typing import Any

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

from customer_platform.drift import REFERENCE_ARTIFACT, REFERENCE_BINS_KEY, reference_bins
from customer_platform.model_names import CHAMPION as CHAMPION  # the families import it from here

CHALLENGER = "challenger"
#: Pinned into every logged model's requirements (a family passes its extra libraries).
BASE_PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "skops")
_ALLOW_LOAD_ENV = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"
_MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


def alias_uri(name: str, alias: str) -> str:
    """`models:/<name>@<alias>`: what consumers load (it follows promotions)."""
    return f"models:/{name}@{alias}"


def version_uri(version: ModelVersion) -> str:
    """Immutable URI of one version (an alias may move while a run is in flight)."""
    return f"models:/{version.name}/{version.version}"


def alias_version(alias: str, name: str) -> ModelVersion | None:
    """The version of model `name` behind `alias`, or None when the model or alias does not exist."""
    try:
        return MlflowClient().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise


def resolve_model_version(model_uri: str) -> ModelVersion:
    """Pin a `models:/name@alias` or `models:/name/<version>` URI to one model version."""
    match = _MODEL_URI.match(model_uri)
    if match is None:
        raise ValueError(
            f"model_uri must look like models:/<name>@<alias> or models:/<name>/<version>: {model_uri!r}"
        )
    if match["alias"]:
        version = alias_version(match["alias"], match["name"])
        if version is None:
            raise LookupError(f"no model version behind {model_uri}")
        return version
    return MlflowClient().get_model_version(match["name"], match["version"])


def set_alias(alias: str, version: ModelVersion | str, name: str) -> None:
    """Point `alias` of model `name` at `version`."""
    number = version.version if isinstance(version, ModelVersion) else str(version)
    MlflowClient().set_registered_model_alias(name, alias, number)


def clear_alias(alias: str, name: str) -> None:
    """Remove `alias` of model `name` if it is set."""
    with contextlib.suppress(MlflowException):
        MlflowClient().delete_registered_model_alias(name, alias)


@contextlib.contextmanager
def _trusted_registry_load() -> Iterator[None]:
    # MLflow refuses to deserialize any model unless this flag is set. Our own registry is
    # the trusted source, so allow it for the duration of this load only; an explicit
    # setting in the environment (e.g. "false") wins.
    if os.environ.get(_ALLOW_LOAD_ENV) is not None:
        yield
        return
    os.environ[_ALLOW_LOAD_ENV] = "true"
    try:
        yield
    finally:
        os.environ.pop(_ALLOW_LOAD_ENV, None)


def load_pipeline(version: ModelVersion) -> Pipeline:
    """Load the scikit-learn pipeline of a registered version."""
    with _trusted_registry_load():
        return mlflow.sklearn.load_model(version_uri(version))


def load_model_metadata(version: ModelVersion) -> dict[str, Any]:
    """The metadata dict logged with a version (empty when it has none)."""
    return mlflow.models.get_model_info(version_uri(version)).metadata or {}


def pip_requirements(packages: Sequence[str] = BASE_PACKAGES) -> list[str]:
    """`package==installed version` for each package."""
    # Explicit pins: MLflow's import-sniffing inference is slow and picks up test tooling.
    return [f"{package}=={installed_version(package)}" for package in packages]


def with_reference_bins(metadata: dict[str, Any], reference: pd.DataFrame | None) -> dict[str, Any]:
    """`metadata` plus the reference bins of every column of `reference`, also logged as a run artifact.

    reference: the model's inputs on its training date; monitoring compares each night's scored
    inputs with these bins (`customer_platform.drift`). None leaves `metadata` as it is.
    """
    if reference is None:
        return metadata
    bins = reference_bins(reference, list(reference.columns))
    mlflow.log_dict(bins, REFERENCE_ARTIFACT)
    return metadata | {REFERENCE_BINS_KEY: bins}


#: Type prefixes trusted when loading a logged pipeline: this package's own estimators.
OWN_TYPES = ("models.",)
#: scikit-learn's internal helper types (fitted trees, calibrators) and numpy dtypes, which
#: skops does not trust by default; a family whose pipeline holds them passes these too.
SKLEARN_INTERNAL_TYPES = ("sklearn.", "numpy.dtype")


def skops_trusted_types(pipeline: Pipeline, prefixes: Sequence[str] = OWN_TYPES) -> list[str] | None:
    """The types in `pipeline` that skops does not trust by default and that start with `prefixes`.

    skops loads only types it trusts; trusting ours (e.g. the sample-fitted clusterers) and
    the libraries we ship with, and nothing else, keeps any foreign type a load error.
    """
    import skops.io

    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    return [name for name in untrusted if name.startswith(tuple(prefixes))] or None


def aggregate_example(inputs: pd.DataFrame) -> pd.DataFrame:
    """A one-row input example that is nobody: each column's median (numbers) or most common value.

    MLflow stores the input example beside the model, readable by anyone with the tracking
    server; real rows would put customers' features there, and erasure could not find them
    (no id travels with them). Column types are kept, so the signature still matches.
    """
    row = {}
    for column in inputs.columns:
        values = inputs[column].dropna()
        if values.empty:
            row[column] = inputs[column].iloc[:1].to_numpy()
        elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            row[column] = [values.mode().iloc[0]]
        else:
            row[column] = [values.median()]
    return pd.DataFrame(row).astype(inputs.dtypes.to_dict())


def log_and_register_model(
    pipeline: Pipeline,
    inputs: pd.DataFrame,
    outputs: Any,
    model_name: str,
    metadata: dict[str, Any],
    packages: Sequence[str] = BASE_PACKAGES,
    trusted_prefixes: Sequence[str] = OWN_TYPES,
    reference: pd.DataFrame | None = None,
) -> str:
    """Log `pipeline` to the active run as `model` and register it as `model_name`; returns the version.

    inputs / outputs: the model's inputs and predictions (their first rows give the
    signature and input example). metadata: family-specific facts stored with the model.
    trusted_prefixes: type prefixes skops may load (`skops_trusted_types`).
    reference: the inputs whose bins are stored with the version (`with_reference_bins`).
    """
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        signature=infer_signature(inputs.head(100), outputs[:100]),
        input_example=aggregate_example(inputs),
        registered_model_name=model_name,
        metadata=with_reference_bins(metadata, reference),
        pip_requirements=pip_requirements(packages),
        skops_trusted_types=skops_trusted_types(pipeline, trusted_prefixes),
    )
    return str(info.registered_model_version)


def log_and_register_pyfunc(
    python_model: mlflow.pyfunc.PythonModel,
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    model_name: str,
    metadata: dict[str, Any],
    packages: Sequence[str] = BASE_PACKAGES,
    reference: pd.DataFrame | None = None,
) -> str:
    """Log a python-function model to the active run as `model` and register it; returns the version.

    For families whose model is not a scikit-learn pipeline (e.g. the lifetime-value
    parameters); inputs / outputs give the signature and input example, and reference the
    stored bins, as above.
    """
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=python_model,
        signature=infer_signature(inputs.head(100), outputs.head(100)),
        input_example=aggregate_example(inputs),
        registered_model_name=model_name,
        metadata=with_reference_bins(metadata, reference),
        pip_requirements=pip_requirements(packages),
    )
    return str(info.registered_model_version)


def load_python_model(version: ModelVersion) -> Any:
    """The python model object of a registered python-function version."""
    with _trusted_registry_load():
        return mlflow.pyfunc.load_model(version_uri(version)).unwrap_python_model()


def describe_version(
    model_name: str, version: str, model_description: str, version_description: str, tags: dict[str, Any]
) -> None:
    """Set the registered model's description, and the version's description and `tags`.

    tags: e.g. the data version (logical date, row counts, feature table hash), the features and
    the run id; values are stored as strings. Idempotent.
    """
    client = MlflowClient()
    client.update_registered_model(model_name, description=model_description)
    client.update_model_version(model_name, version, description=version_description)
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, str(value))
