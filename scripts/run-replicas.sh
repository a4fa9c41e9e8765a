#!/usr/bin/env bash
# Runs N replicas (default 3) of the server on one PostgreSQL database, on this machine: ports
# 3101, 3102, … each with a data directory of its own under ./replicas-data/<n> (it keeps the
# replica's id), the first-party modules built into plugins-dist/ and loaded by every replica.
# Put a load balancer in front of them (deploy/replicas/nginx.conf does it for the
# docker compose example). Ctrl-C stops them all.
#
# Usage: DATABASE_URL=postgres://user@host:5432/db scripts/run-replicas.sh [N]
# Settings that matter (paperclip.config.json, see deploy/replicas/README.md):
#   database.poolSize   connections per replica (N × poolSize + modules' connections must fit
#                       PostgreSQL's max_connections; default 16)
#   cluster.leaseMs     how long a dead replica's module services and hook delivery wait before
#                       another takes them (default 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-3}"
if [ -z "${DATABASE_URL:-}" ]; then
    echo "run-replicas.sh: set DATABASE_URL to a PostgreSQL database (postgres://…)" >&2
    exit 2
fi
case "$DATABASE_URL" in
    postgres://*|postgresql://*) ;;
    *) echo "run-replicas.sh: replicas share data through PostgreSQL; DATABASE_URL must be postgres://…" >&2; exit 2 ;;
esac
scripts/build-modules.sh --release
cargo build --release -p paperclip-server -p paperclip-module-runner
binary="${CARGO_TARGET_DIR:-target}/release/paperclipai"
pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait
}
trap stop INT TERM EXIT
for n in $(seq 1 "$count"); do
    port=$((3100 + n))
    mkdir -p "replicas-data/$n"
    "$binary" run --port "$port" --data-dir "replicas-data/$n" &
    pids+=("$!")
done
echo "$count replicas on $DATABASE_URL: ports 3101–$((3100 + count)); GET /api/admin/cluster on any of them shows them all"
wait
