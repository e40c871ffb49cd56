#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks the code style (clang-format,
# clang-tidy: contrib/check-style.sh) and runs every test (unit and end-to-end) with ctest,
# whose summary line ends the output. A style failure fails the run after the tests ran, so
# one run reports both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/contrib/install-deps.sh" --test
"$top/contrib/build.sh"
style=0
"$top/contrib/check-style.sh" || style=$?
cd "${FAXGATE_BUILD_DIR:-$top/build}"
tests=0
ctest --output-on-failure -j2 --timeout 900 || tests=$?
[ "$tests" -eq 0 ] && [ "$style" -eq 0 ]
