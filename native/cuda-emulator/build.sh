#!/usr/bin/env bash
# Builds the emulated CUDA driver, OUTDIR/libcuda.so.1 (README.md, "The emulated device"): driver.cpp and simt.cpp,
# every kernels/*.cu compiled for the host with simt.h, the kernel table that native/kernel-spec/KernelSpec.java
# generated (TABLE), and a stub for every other cu* symbol that JCuda's driver library links against (read from
# JCUDA_NATIVES_JAR), which says on stderr that it is not emulated and returns CUDA_ERROR_NOT_SUPPORTED.
# The Maven build calls this in process-resources; it:
#   - skips the build when the library is newer than all of its inputs;
#   - without g++ says so in one line and exits 0 (the GPU tests then skip, as without a GPU).
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 OUTDIR TABLE JCUDA_NATIVES_JAR" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUTDIR="$1"
TABLE="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
JCUDA_JAR="$3"
LIB="$OUTDIR/libcuda.so.1"
CXX="${CXX:-g++}"
# -march=native: the library is built for and on the machine that runs it (fmaf, the kernels' FMA, is then
# one instruction instead of a call)
FLAGS=(-std=c++20 -O2 -march=native -fPIC -fno-strict-aliasing -Wall -Wno-unknown-pragmas -Wno-unused-function
    -Wno-unused-but-set-variable)

say() { echo "[cuda-emulator] $*"; }

up_to_date() {
    [[ -f "$LIB" ]] || return 1
    local input
    for input in "$ROOT"/kernels/*.cu "$ROOT"/kernels/*.cuh "$HERE"/*.cpp "$HERE"/*.h "$HERE"/include/*.h "$TABLE" "$JCUDA_JAR" \
        "${BASH_SOURCE[0]}"; do
        [[ "$input" -nt "$LIB" ]] && return 1
    done
    return 0
}

if up_to_date; then
    exit 0
fi
if ! command -v "$CXX" >/dev/null 2>&1; then
    rm -f "$LIB"
    say "$CXX not found: the emulated CUDA device is not built (GPU tests skip)"
    exit 0
fi
if [[ ! -f "$JCUDA_JAR" ]]; then
    rm -f "$LIB"
    say "$JCUDA_JAR not found: the emulated CUDA device is not built (GPU tests skip)"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS

# every kernel source in one unit, then the table that refers to them
{
    for source in "$ROOT"/kernels/*.cu; do
        printf '#include "%s"\n' "$source"
    done
    printf '#include "%s"\n#include "%s"\n' "$HERE/driver.h" "$TABLE"
} >"$WORK/kernels_all.cpp"

"$CXX" "${FLAGS[@]}" -I "$HERE/include" -include "$HERE/simt.h" -c "$WORK/kernels_all.cpp" -o "$WORK/kernels.o" &
"$CXX" "${FLAGS[@]}" -c "$HERE/simt.cpp" -o "$WORK/simt.o"
"$CXX" "${FLAGS[@]}" -c "$HERE/driver.cpp" -o "$WORK/driver.o"
wait $!

# the cu* functions JCuda's driver library imports, less those driver.cpp implements
(cd "$WORK" && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" xf "$JCUDA_JAR" lib)
JCUDA_SO="$(ls "$WORK"/lib/libJCudaDriver-*.so | head -1)"
nm -D --undefined-only "$JCUDA_SO" | awk '$2 ~ /^cu/ {print $2}' | sort -u >"$WORK/imported.txt"
nm --defined-only --extern-only "$WORK/driver.o" | awk '$3 ~ /^cu/ {print $3}' | sort -u >"$WORK/implemented.txt"
{
    echo '#include <cstdio>'
    echo 'extern "C" {'
    comm -23 "$WORK/imported.txt" "$WORK/implemented.txt" | while read -r name; do
        printf 'int %s() { std::fprintf(stderr, "[KernelNet emulated device] %s is not emulated\\n"); return 801; }\n' \
            "$name" "$name"
    done
    echo '}'
} >"$WORK/stubs.cpp"
"$CXX" "${FLAGS[@]}" -c "$WORK/stubs.cpp" -o "$WORK/stubs.o"

printf '{ global: cu*; local: *; };\n' >"$WORK/exports.map"
mkdir -p "$OUTDIR"
"$CXX" -shared -Wl,-soname,libcuda.so.1 -Wl,--version-script="$WORK/exports.map" -o "$WORK/libcuda.so.1" \
    "$WORK"/kernels.o "$WORK"/simt.o "$WORK"/driver.o "$WORK"/stubs.o
mv -f "$WORK/libcuda.so.1" "$LIB"
say "built $LIB ($(wc -l <"$WORK/implemented.txt") driver calls emulated, $(comm -23 "$WORK/imported.txt" \
    "$WORK/implemented.txt" | wc -l) stubbed) in $((SECONDS - START)) s"
