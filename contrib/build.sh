#!/usr/bin/env bash
# Configures and builds faxgate into build/ (warnings are errors; ccache when present).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="${FAXGATE_BUILD_DIR:-$top/build}"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAXGATE_WERROR=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build "$build" -j"${FAXGATE_JOBS:-2}"
