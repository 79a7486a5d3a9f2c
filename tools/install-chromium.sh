#!/usr/bin/env bash
# The dispute replay's HTML is checked in a real headless browser: Debian's chromium.
# Installs it when it is missing (as root, or through sudo); says what to do otherwise.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "chromium is missing and this user cannot install it: apt-get install chromium" >&2
  exit 1
fi
echo "installing Debian's chromium for the replay's browser test ..."
${as_root[@]+"${as_root[@]}"} apt-get update -q
DEBIAN_FRONTEND=noninteractive ${as_root[@]+"${as_root[@]}"} apt-get install -y -q chromium
command -v chromium >/dev/null
