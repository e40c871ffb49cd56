#!/usr/bin/env bash
# The style checks CI runs before the tests (docs/architecture.md, "Code style"):
#   1. clang-format: every C++ file is formatted as .clang-format says (prints the files that
#      are not; fix with `git ls-files '*.cpp' '*.h' | xargs clang-format -i`);
#   2. clang-tidy: the checks of .clang-tidy on every program source file, warnings are errors.
# Needs a configured build directory with compile_commands.json (contrib/build.sh makes one).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build="${FAXGATE_BUILD_DIR:-$top/build}"
cd "$top"

unformatted=$(git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run 2>&1 | grep -o '^[^:]*: warning' | cut -d: -f1 | sort -u || true)
if [ -n "$unformatted" ]; then
  echo "check-style: not formatted with clang-format:" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "check-style: clang-format clean"

# Program sources only: tests and benchmarks are held to the compiler's warnings.
git ls-files 'common/*.cpp' 'gateway/*.cpp' 'faxnode/*.cpp' 'admin-tool/*.cpp' |
  xargs -P "${FAXGATE_JOBS:-2}" -n 6 clang-tidy -p "$build" --quiet 2>/dev/null > "$build/clang-tidy.log" || {
    grep -E '(warning|error):' "$build/clang-tidy.log" >&2 || cat "$build/clang-tidy.log" >&2
    echo "check-style: clang-tidy found problems (see above)" >&2
    exit 1
  }
echo "check-style: clang-tidy clean"
