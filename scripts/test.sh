#!/usr/bin/env bash
# Runs the whole test suite once: builds the server, the module runner (the child process of
# modules at the `process` isolation level, next to the server binary) and every module library a single time,
# lays the module bundles out (plugins-dist/ and target/test-bundles/), installs the headless
# browser the UI tests need when it is missing, then runs every test. Tests use SQLite always
# and PostgreSQL as well when PAPERCLIP_TEST_DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-modules.sh
cargo build -p paperclip-server -p paperclip-module-runner --bins
if [ -x scripts/install-test-browser.sh ]; then
    scripts/install-test-browser.sh
fi
cargo test --workspace --no-fail-fast "$@"
