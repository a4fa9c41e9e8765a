#!/usr/bin/env bash
# Builds the first-party modules into plugins-dist/ and starts the server on SQLite
# (http://127.0.0.1:3100 unless --port/--bind say otherwise). Extra arguments go to
# `paperclipai run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-modules.sh --release
# The module runner sits next to the server binary (modules at the `process` isolation level).
cargo build --release -p paperclip-module-runner
exec cargo run --release -p paperclip-server --bin paperclipai -- run "$@"
