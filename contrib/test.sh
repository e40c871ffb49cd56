#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit and
# end-to-end) with ctest, whose summary line ends the output.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh" --test
"$top/contrib/build.sh"
cd "${FAXGATE_BUILD_DIR:-$top/build}"
ctest --output-on-failure -j2 --timeout 900
