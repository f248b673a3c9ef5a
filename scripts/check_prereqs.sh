#!/usr/bin/env bash
# Checks the two prerequisites the platform needs on a fresh machine: Python 3.11 and Java 17.
set -euo pipefail
PYTHON="${PYTHON:-python3.11}"
fail=0
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "error: $PYTHON not found. Install Python 3.11 (or set PYTHON=/path/to/python3.11)." >&2
  fail=1
elif ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "error: $PYTHON is $("$PYTHON" -V 2>&1); the platform needs Python 3.11." >&2
  fail=1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "error: java not found. Spark needs Java 17 (e.g. apt-get install openjdk-17-jre-headless) on PATH or JAVA_HOME." >&2
  fail=1
else
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  if [ "$major" != "17" ] && [ "$major" != "21" ]; then
    echo "error: java is version ${major:-unknown}; Spark 4 needs Java 17 (21 also works)." >&2
    fail=1
  fi
fi
exit "$fail"
