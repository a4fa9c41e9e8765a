#!/usr/bin/env bash
# Builds every module crate with one `cargo build` and lays out its bundle:
#   modules/<crate>/        → plugins-dist/<id>/              (first-party modules; <id> from the manifest)
#   tests/modules/<crate>/  → target/test-bundles/<crate>/    (test modules for the end-to-end tests)
# A module crate is a folder with a Cargo.toml declaring a `cdylib`; its bundle gets
# paperclip.module.json, the library (named after the manifest's "library"), migrations/ and ui/,
# and is signed with the development key (the manifest lists every file's SHA-256, and
# paperclip.module.sig holds the signature): a key pair generated on the first run into
# <target dir>/dev-signing-key/paperclip-dev.{key,pub}, never committed. The signer,
# paperclip-bundle-sign, is built by the same cargo invocation as the modules. A server trusts
# the key only when its config lists it in modules.trustedKeys (printed at the end); with the
# default modules.signatures ("auto": warn on loopback) the bundles load either way.
# Idempotent: each bundle is assembled beside its destination and swapped in whole, so a running
# server never sees a half-copied bundle (a replaced library is picked up after a restart).
#
# Usage: scripts/build-modules.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_flags=()
for arg in "$@"; do
    case "$arg" in
        --release) profile=release; cargo_flags+=(--release) ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-modules.sh: unknown argument: $arg (expected --release)" >&2; exit 2 ;;
    esac
done

target_dir="${CARGO_TARGET_DIR:-target}"
case "$(uname -s)" in
    Darwin) lib_prefix=lib; lib_ext=dylib ;;
    MINGW*|MSYS*|CYGWIN*) lib_prefix=; lib_ext=dll ;;
    *) lib_prefix=lib; lib_ext=so ;;
esac

# The value of `key` in `[section]` of a TOML file (simple `key = "value"` lines only).
toml_value() {
    awk -v want="[$2]" -v key="$3" '
        { line = $0; gsub(/[ \t]/, "", line) }
        /^[ \t]*\[/ { in_section = (line == want); next }
        in_section && line ~ ("^" key "=\"") {
            sub(/^[^=]*=[ \t]*"/, ""); sub(/".*$/, ""); print; exit
        }
    ' "$1"
}

# The first top-level-looking `"key": "value"` of a manifest (id and library come before any
# nested object in a manifest; the value is checked by the caller).
manifest_value() {
    sed -n "s/^[[:space:]]*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}

crates=()
packages=()
for dir in modules/*/ tests/modules/*/; do
    dir="${dir%/}"
    [ -f "$dir/Cargo.toml" ] || continue
    grep -Eq '^[[:space:]]*crate-type[[:space:]]*=[[:space:]]*\[[^]]*"cdylib"' "$dir/Cargo.toml" || continue
    package="$(toml_value "$dir/Cargo.toml" package name)"
    if [ -z "$package" ]; then
        echo "build-modules.sh: $dir/Cargo.toml has no [package] name" >&2
        exit 1
    fi
    crates+=("$dir")
    packages+=("$package")
done

if [ "${#crates[@]}" -eq 0 ]; then
    echo "no module crates found in modules/ or tests/modules/"
    exit 0
fi

# Every module crate must be a workspace member, so one build compiles the SDK once for all.
members="$(cargo metadata --no-deps --format-version 1 --offline 2>/dev/null || cargo metadata --no-deps --format-version 1)"
for i in "${!crates[@]}"; do
    if ! grep -q "\"name\":\"${packages[$i]}\"" <<<"$members"; then
        echo "build-modules.sh: ${crates[$i]} (package ${packages[$i]}) is not a workspace member; add it to [workspace] members in Cargo.toml" >&2
        exit 1
    fi
done

package_flags=()
for package in "${packages[@]}"; do
    package_flags+=(-p "$package")
done
echo "building ${#packages[@]} module crates and the bundle signer ($profile)…"
# --lib builds each module's cdylib; --bin adds the signer, in the same invocation.
cargo build "${cargo_flags[@]}" "${package_flags[@]}" -p paperclip-bundle-signing --lib --bin paperclip-bundle-sign

signer="$target_dir/$profile/paperclip-bundle-sign"
key_dir="$target_dir/dev-signing-key"
key_file="$key_dir/paperclip-dev.key"
key_id="$("$signer" keygen --out "$key_dir" --name paperclip-dev --if-missing | cut -d' ' -f1)"

laid_out=0
for i in "${!crates[@]}"; do
    dir="${crates[$i]}"
    package="${packages[$i]}"
    manifest="$dir/paperclip.module.json"
    if [ ! -f "$manifest" ]; then
        echo "  skipped $dir: no paperclip.module.json"
        continue
    fi
    id="$(manifest_value "$manifest" id)"
    library="$(manifest_value "$manifest" library)"
    if ! [[ "$id" =~ ^[a-z][a-z0-9-]*$ ]]; then
        echo "build-modules.sh: $manifest has no valid \"id\" (got '$id')" >&2
        exit 1
    fi
    if ! [[ "$library" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]]; then
        echo "build-modules.sh: $manifest has no valid \"library\" (got '$library')" >&2
        exit 1
    fi
    lib_name="$(toml_value "$dir/Cargo.toml" lib name)"
    lib_name="${lib_name:-${package//-/_}}"
    built="$target_dir/$profile/${lib_prefix}${lib_name}.${lib_ext}"
    if [ ! -f "$built" ]; then
        echo "build-modules.sh: $built was not produced by the build of $package" >&2
        exit 1
    fi

    case "$dir" in
        tests/modules/*) dest="$target_dir/test-bundles/$(basename "$dir")" ;;
        *) dest="plugins-dist/$id" ;;
    esac
    parent="$(dirname "$dest")"
    staging="$parent/.$(basename "$dest").staging"
    mkdir -p "$parent"
    rm -rf "$staging"
    mkdir -p "$staging"
    cp "$manifest" "$staging/"
    cp "$built" "$staging/${lib_prefix}${library}.${lib_ext}"
    contents="${lib_prefix}${library}.${lib_ext}"
    if [ -d "$dir/migrations" ]; then
        cp -R "$dir/migrations" "$staging/"
        backends="$(cd "$staging/migrations" && ls -d -- */ 2>/dev/null | tr -d / | tr '\n' ' ')"
        contents="$contents, migrations/ (${backends% })"
    fi
    if [ -d "$dir/ui" ]; then
        cp -R "$dir/ui" "$staging/"
        contents="$contents, ui/"
    fi
    "$signer" sign --key "$key_file" "$staging" >/dev/null
    rm -rf "$dest"
    mv "$staging" "$dest"
    echo "  $dest/ ← $dir ($contents)"
    laid_out=$((laid_out + 1))
done
echo "laid out $laid_out module bundles, signed with the development key $key_id ($key_file)"
echo "to trust it, add to \"modules\" in paperclip.config.json: \"trustedKeys\": { \"$key_id\": \"$(cat "$key_dir/paperclip-dev.pub")\" }"
