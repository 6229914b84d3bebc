#!/usr/bin/env bash
# Installs the system programs named on the command line, when missing:
#   graphviz  the `dot` program (PNG and PDF diagrams; `make demo`, `make diagrams`, the tests)
#   chromium  Debian's browser, for the browser test only (`make test`): it opens the HTML report
#             headless; the `playwright` package drives it and never downloads a browser of its own
# With no arguments, both. Idempotent, and runs unattended: CI has no one to answer prompts.
set -euo pipefail
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(graphviz chromium)
need=()
for program in "${wanted[@]}"; do
  case "$program" in
    graphviz) command -v dot >/dev/null 2>&1 || need+=(graphviz) ;;
    chromium) [ -x /usr/bin/chromium ] || need+=(chromium) ;;
    *) echo "install-system-deps.sh: unknown program '$program' (graphviz or chromium)" >&2; exit 2 ;;
  esac
done
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
