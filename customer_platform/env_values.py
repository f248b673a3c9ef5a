"""Reading and checking environment variables: one helper for every settings module.

Each check takes the variable's name and its raw text and returns the parsed value, or raises
`ConfigurationError` whose message is one line naming the variable and the allowed form. Values
that may carry a credential (URLs) are never repeated in a message. `customer_platform.env_forms`
maps every variable the platform reads to its check.
"""

from __future__ import annotations

import os
import re
from datetime import date
from urllib.parse import urlsplit

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

#: DuckDB's `memory_limit`: a number and a unit (decimal KB..TB, binary KiB..TiB), or a share of RAM.
_DUCKDB_MEMORY = re.compile(
    r"\d+(\.\d+)?\s*(b|bytes?|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)|\d+(\.\d+)?\s*%", re.IGNORECASE
)
#: JVM / Spark memory (`spark.driver.memory`): a whole number and a unit (Spark reads a bare number as MiB).
_JVM_MEMORY = re.compile(r"([1-9]\d*)([kmgt])b?", re.IGNORECASE)
_JVM_UNIT_MIB = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
#: Spark refuses a driver below 1.5 x its 300 MiB reserved memory.
JVM_MIN_MIB = 450
_HOST_PORT = r"[A-Za-z0-9.-]+:\d{1,5}"
_SPARK_MASTER = re.compile(
    r"local|local\[([1-9]\d*|\*)(,\s*[1-9]\d*)?\]|local-cluster\[[1-9]\d*,\s*[1-9]\d*,\s*[1-9]\d*\]"
    rf"|yarn|spark://{_HOST_PORT}(,{_HOST_PORT})*|k8s://(https?://)?{_HOST_PORT}/?"
)
SPARK_MASTER_FORM = "local, local[N], local[*], spark://HOST:PORT, yarn or k8s://https://HOST:PORT"
#: SQLAlchemy databases MLflow's tracking store accepts besides HTTP servers and local files.
_MLFLOW_DATABASES = ("sqlite", "postgresql", "mysql", "mssql")


class ConfigurationError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable and the allowed form."""


def _fail(name: str, raw: str, form: str, show_value: bool = True) -> ConfigurationError:
    given = f"={raw!r}" if show_value else ""
    return ConfigurationError(f"{name}{given} is not {form}")


def parse_iso_date(value: str, name: str = "date") -> date:
    """A date written exactly YYYY-MM-DD, zero-padded (`fromisoformat` alone takes 20260601); ValueError names `name`."""
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.isoformat() != value:
        raise ValueError(f"{name} must be a date in YYYY-MM-DD form, got {value!r}")
    return parsed


def check_int(name: str, raw: str, minimum: int | None = None) -> int:
    """A whole number, at least `minimum` when given."""
    form = "an integer" if minimum is None else f"an integer of at least {minimum}"
    try:
        value = int(raw)
    except ValueError:
        raise _fail(name, raw, form) from None
    if minimum is not None and value < minimum:
        raise _fail(name, raw, form)
    return value


def check_float(name: str, raw: str) -> float:
    """A finite number."""
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, raw, "a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise _fail(name, raw, "a finite number")
    return value


def check_flag(name: str, raw: str) -> bool:
    """A boolean written true/false, yes/no, on/off or 1/0."""
    word = raw.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise _fail(name, raw, "true or false (also yes/no, on/off, 1/0)")
    return word in TRUE_WORDS


def check_choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (case-insensitive); returned lower-cased."""
    if raw.lower() not in choices:
        raise _fail(name, raw, f"one of {', '.join(choices)}")
    return raw.lower()


def check_date(name: str, raw: str) -> date:
    """A date written YYYY-MM-DD."""
    try:
        return parse_iso_date(raw, name)
    except ValueError:
        raise _fail(name, raw, "a date written YYYY-MM-DD") from None


def check_duckdb_memory(name: str, raw: str) -> str:
    """A DuckDB memory limit such as 6GB, 512MB, 4GiB or 80% (of the machine's memory)."""
    if not _DUCKDB_MEMORY.fullmatch(raw.strip()):
        raise _fail(name, raw, "a memory size like 6GB, 512MB or 80%")
    return raw


def check_jvm_memory(name: str, raw: str) -> str:
    """A Spark / JVM memory size such as 4g or 512m, at least the 450m Spark needs."""
    match = _JVM_MEMORY.fullmatch(raw.strip())
    if not match or int(match[1]) * _JVM_UNIT_MIB[match[2].lower()] < JVM_MIN_MIB:
        raise _fail(name, raw, f"a JVM memory size of at least {JVM_MIN_MIB}m, like 4g or 512m")
    return raw


def check_spark_master(name: str, raw: str) -> str:
    """A Spark master URL Spark 4 accepts."""
    if not _SPARK_MASTER.fullmatch(raw.strip()):
        raise _fail(name, raw, f"a Spark master: {SPARK_MASTER_FORM}")
    return raw


def check_http_url(name: str, raw: str) -> str:
    """An http:// or https:// URL with a host (the value is not repeated: it may embed a token)."""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _fail(name, raw, "an http:// or https:// URL with a host", show_value=False)
    return raw


def check_mlflow_tracking_uri(name: str, raw: str) -> str:
    """An MLflow tracking store: an http(s) server, a database URL (SQLite with an absolute path, ...), or a folder."""
    sqlite_form = "sqlite:" + "///PATH"  # spelled in two parts: only config.py writes data locations
    form = f"an MLflow tracking URI: http(s)://HOST[:PORT], {sqlite_form} (or another database URL), a folder"
    scheme = urlsplit(raw).scheme.lower()
    if scheme in {"http", "https"}:
        return check_http_url(name, raw)
    if scheme.split("+")[0] in _MLFLOW_DATABASES:
        if scheme == "sqlite" and not raw[len("sqlite:") :].startswith("///"):
            raise _fail(name, raw, form, show_value=False)
        return raw
    if (
        scheme in {"file", "databricks"}
        or re.fullmatch(r"[a-zA-Z]", scheme)
        or (not scheme and ":" not in raw)
    ):
        return raw  # a one-letter scheme is a Windows drive
    raise _fail(name, raw, form, show_value=False)


def check_location(name: str, raw: str) -> str:
    """A folder path or a URI with a scheme (scheme://...), e.g. an artifact store."""
    if "://" in raw and not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S", raw):
        raise _fail(name, raw, "a folder path or a URI like s3://bucket/prefix", show_value=False)
    return raw


# Readers: the variable's value (stripped) or the default, checked --------------------------
def env_text(name: str, default: str = "") -> str:
    """The variable's text, stripped; `default` when unset or blank."""
    return os.environ.get(name, "").strip() or default


def env_list(name: str) -> tuple[str, ...]:
    """A comma-separated list (blank items dropped)."""
    return tuple(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """An integer variable (checked only when set: defaults are trusted)."""
    raw = env_text(name)
    return check_int(name, raw, minimum) if raw else default


def env_float(name: str, default: float) -> float:
    """A number variable."""
    raw = env_text(name)
    return check_float(name, raw) if raw else default


def env_flag(name: str, default: bool = False) -> bool:
    """A boolean variable."""
    raw = env_text(name)
    return check_flag(name, raw) if raw else default
