#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, idempotently: nothing is downloaded
# when everything is already present. Debian packages go in DEBIAN_PACKAGES: postgresql for the
# PostgreSQL store's tests (their fixture starts a throwaway cluster on 127.0.0.1; SQLite ships inside
# Microsoft.Data.Sqlite) and chromium for the browser tests (Playwright drives Debian's Chromium; it
# cannot download its own here), python3-aiosmtpd for the alert e-mail tests (a real SMTP server on
# 127.0.0.1 that receives what the app sends). PowerShell 7 runs test_usage_tracking.ps1 in the suite; it
# installs as a .NET tool into .tools/ (pinned: 7.6.9). The query app's npm modules are installed by its build from
# package-lock.json (npm ci), so npm must be on PATH. The .NET SDK is pinned by global.json.
set -euo pipefail

DEBIAN_PACKAGES=(postgresql chromium python3-aiosmtpd)

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK (see global.json) is required and was not found on PATH." >&2
  exit 1
fi

if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_PACKAGES+=(npm)
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .tools/pwsh ]; then
  echo "Installing PowerShell 7.6.9 (a .NET tool) into .tools/"
  dotnet tool install --tool-path .tools PowerShell --version 7.6.9 >/dev/null
fi
