#!/usr/bin/env bash
# Installs Debian's Chromium for the report tests (they drive it with Playwright for Python).
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (or sudo) and apt.
# Never use `playwright install`: it downloads browsers from the network at test time.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
