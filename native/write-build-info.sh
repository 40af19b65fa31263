#!/usr/bin/env bash
# Writes DIR/kernelnet-build.properties with the commit the jar is built from ("commit=abc1234", "-dirty" when
# the working tree differs from it, "unknown" outside a git checkout), for the benches' JSON. Never fails the build.
# Usage: native/write-build-info.sh DIR
DIR="${1:?usage: write-build-info.sh DIR}"
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
mkdir -p "$DIR"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" || commit=unknown
if [ "$commit" != unknown ] && ! git -C "$ROOT" diff --quiet HEAD 2>/dev/null; then
    commit="$commit-dirty"
fi
printf 'commit=%s\n' "$commit" > "$DIR/kernelnet-build.properties"
exit 0
