#!/usr/bin/env pwsh
# Verifies usage tracking end to end on the configured store: a thin wrapper over `usage selftest`,
# which tracks a test action and an error, reads the stats back and prints one PASS/FAIL line per check.
# Arguments pass through, e.g.: ./test_usage_tracking.ps1 --connection ./usage.db
# -NoBuild runs the CLI as last built (the test suite uses it after its own build).
param([switch] $NoBuild, [Parameter(ValueFromRemainingArguments = $true)][string[]] $Arguments)
$project = Join-Path $PSScriptRoot 'src/UsageTracking.Cli'
$build = @(if ($NoBuild) { '--no-build' })
dotnet run --project $project -c Release @build -- selftest @Arguments
exit $LASTEXITCODE
