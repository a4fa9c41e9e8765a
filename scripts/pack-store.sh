#!/usr/bin/env bash
# Packs the first-party modules for this repository's Company Store (store/index.json):
#   modules/<crate>/ → scripts/build-modules.sh → plugins-dist/<id>/
#                    → paperclipai module pack → store/bundles/<id>-<version>-<target>.tar.gz (+ .sha256)
# store/bundles/ is git-ignored: bundles are build artefacts. The index refers to them by
# relative URL with a {target} placeholder and to their .sha256 files (bundle.sha256Url), since
# local builds are not reproducible across machines; a published store inlines bundle.sha256.
# Afterwards: paperclipai store list / store install <id> (default index: store/index.json).
# The bundles keep the signature build-modules.sh gave them (this machine's development key),
# unless --sign <key file> signs them with another key (paperclipai module keygen).
#
# Usage: scripts/pack-store.sh [--release] [--sign <key file>]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_flags=()
sign_flags=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --release) profile=release; cargo_flags+=(--release) ;;
        --sign)
            [ "$#" -ge 2 ] || { echo "pack-store.sh: --sign needs a key file" >&2; exit 2; }
            sign_flags=(--sign "$2"); shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "pack-store.sh: unknown argument: $1 (expected --release or --sign <key file>)" >&2; exit 2 ;;
    esac
    shift
done

scripts/build-modules.sh "${cargo_flags[@]}"
cargo build "${cargo_flags[@]}" -p paperclip-server
bin="${CARGO_TARGET_DIR:-target}/$profile/paperclipai"

mkdir -p store/bundles
packed=0
for dir in modules/*/; do
    manifest="${dir}paperclip.module.json"
    [ -f "$manifest" ] || continue
    id="$(sed -n 's/^[[:space:]]*"id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1)"
    if [ -z "$id" ] || [ ! -d "plugins-dist/$id" ]; then
        echo "pack-store.sh: no bundle plugins-dist/$id for $dir" >&2
        exit 1
    fi
    "$bin" module pack "plugins-dist/$id" --out store/bundles "${sign_flags[@]}"
    packed=$((packed + 1))
done
echo "packed $packed first-party modules into store/bundles/"
