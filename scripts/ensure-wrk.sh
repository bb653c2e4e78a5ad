#!/usr/bin/env bash
# Installs Debian's wrk (the HTTP load generator of benchmarks/exchange_api.py) when missing.
# Without it the benchmark falls back to a Python client, whose figures are not comparable.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "need root to install wrk (apt-get); the data API benchmark will use its Python client" >&2
    exit 0
  fi
else
  SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
