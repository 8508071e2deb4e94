#!/usr/bin/env pwsh
# Verifies usage tracking end to end on the configured store: a thin wrapper over `usage selftest`,
# which tracks a test action and an error, reads the stats back and prints one PASS/FAIL line per check.
# Arguments pass through, e.g.: ./test_usage_tracking.ps1 --connection ./usage.db
param([Parameter(ValueFromRemainingArguments = $true)][string[]] $Arguments)
$project = Join-Path $PSScriptRoot 'src/UsageTracking.Cli'
dotnet run --project $project -c Release -- selftest @Arguments
exit $LASTEXITCODE
