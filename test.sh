#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what the tests need, then runs `dotnet test`
# on the solution in Release. Extra arguments go to dotnet test (e.g. --filter Cli).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-test-deps.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test UsageTracking.sln -c Release "$@" 2>&1 | tee "$log" || status=$?

# One plain summary line over every test assembly.
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
