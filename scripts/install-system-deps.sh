#!/usr/bin/env bash
# Installs the system programs the tests and diagrams need, when missing: Graphviz `dot` (PNG/PDF
# diagrams) and Debian's `chromium` (the browser test opens the HTML report in it headless; the
# `playwright` package drives it and never downloads a browser of its own).
# Idempotent, and runs unattended: CI has no one to answer prompts.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "warning: please install ${need[*]} with your package manager (graphviz: PNG/PDF diagrams; chromium: the browser test)" >&2
fi
