#!/usr/bin/env bash
# Installs the headless browser the web UI tests drive: Debian's `chromium` and
# `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver). Does nothing when both are
# there. Installs only as root (CI and the development machines run as root); otherwise it
# prints the command to run and exits 0, and the UI tests then fail naming the same command
# (unless PAPERCLIP_SKIP_BROWSER_TESTS=1 is set).
#
# Usage: scripts/install-test-browser.sh
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "test browser: $(chromium --version 2>/dev/null | head -n 1) with $(chromedriver --version 2>/dev/null | head -n 1)"
    exit 0
fi

install_command="apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-browser.sh: chromium/chromedriver are missing and this is not root; install them with:" >&2
    echo "    sudo sh -c '$install_command'" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-browser.sh: chromium/chromedriver are missing and there is no apt-get here;" >&2
    echo "install Chromium and a matching ChromeDriver, and put both on PATH (or set PAPERCLIP_CHROMIUM / PAPERCLIP_CHROMEDRIVER)." >&2
    exit 0
fi

echo "installing the test browser (Debian packages chromium, chromium-driver)…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium chromium-driver
echo "test browser: $(chromium --version 2>/dev/null | head -n 1) with $(chromedriver --version 2>/dev/null | head -n 1)"
