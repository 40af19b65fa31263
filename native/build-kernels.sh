#!/usr/bin/env bash
# Compiles kernels/*.cu into ONE fatbin, OUTDIR/kernelnet.fatbin (SASS for sm_80, sm_86, sm_89, sm_90 and PTX for
# compute_90), which the CUDA backend loads with cuModuleLoadData.
# The Maven build calls this on every build (generate-resources, OUTDIR = target/classes/kernels), so it:
#   - skips the compile when the fatbin is newer than every kernels/*.cu, *.cuh, the kernel spec and this script;
#   - without nvcc (CUDA_HOME/bin, PATH, /usr/local/cuda/bin) says so in one line and exits 0;
#   - writes ptxas' resource usage, one line per kernel per architecture, to RESOURCE_REPORT (default
#     OUTDIR/kernel-resources.txt; printed too with KERNELS_VERBOSE=1), warns about spills on sm_90, and otherwise
#     prints one line;
#   - fails when nvcc fails or when the compiled kernels differ from the extern "C" __global__ declarations (the
#     names native/kernel-spec/KernelSpec.java reads, as the Java launches and the emulated driver do).
# All .cu files form one translation unit (a generated file that #includes them), since cuModuleLoadData takes
# one image per architecture. No --use_fast_math: results are compared with the CPU backend to 1e-5.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 OUTDIR [RESOURCE_REPORT]" >&2
    exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KERNELS="$ROOT/kernels"
SPEC="$ROOT/native/kernel-spec/KernelSpec.java"
OUTDIR="$1"
REPORT="${2:-$OUTDIR/kernel-resources.txt}"
FATBIN="$OUTDIR/kernelnet.fatbin"
SASS_ARCHS=(80 86 89 90)
PTX_ARCH=90
CHECK_ARCH=90  # spills here are warned about

say() { echo "[kernels] $*"; }

up_to_date() {
    [[ -f "$FATBIN" ]] || return 1
    local input
    for input in "$KERNELS"/*.cu "$KERNELS"/*.cuh "$SPEC" "${BASH_SOURCE[0]}"; do
        [[ "$input" -nt "$FATBIN" ]] && return 1
    done
    return 0
}

find_nvcc() {
    if [[ -n "${CUDA_HOME:-}" && -x "$CUDA_HOME/bin/nvcc" ]]; then
        echo "$CUDA_HOME/bin/nvcc"
    elif command -v nvcc >/dev/null 2>&1; then
        command -v nvcc
    elif [[ -x /usr/local/cuda/bin/nvcc ]]; then
        echo /usr/local/cuda/bin/nvcc
    else
        return 1
    fi
}

if up_to_date; then
    say "up to date: $FATBIN"
    exit 0
fi
if ! NVCC="$(find_nvcc)"; then
    rm -f "$FATBIN"  # a stale fatbin would not match the sources
    say "nvcc not found (looked in CUDA_HOME, PATH, /usr/local/cuda): GPU kernels not built"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
UNIT="$WORK/kernelnet_all.cu"
for source in "$KERNELS"/*.cu; do
    printf '#include "%s"\n' "$source"
done >"$UNIT"

GENCODE=()
for arch in "${SASS_ARCHS[@]}"; do
    GENCODE+=(-gencode "arch=compute_$arch,code=sm_$arch")
done
GENCODE+=(-gencode "arch=compute_$PTX_ARCH,code=compute_$PTX_ARCH")

TARGETS="$(printf 'sm_%s ' "${SASS_ARCHS[@]}")compute_$PTX_ARCH"
say "compiling $(ls "$KERNELS"/*.cu | wc -l) files for $TARGETS with $NVCC"
START=$SECONDS
if ! "$NVCC" -fatbin -O3 -std=c++17 --threads 0 -Xptxas -v "${GENCODE[@]}" -o "$WORK/kernelnet.fatbin" "$UNIT" \
    >"$WORK/nvcc.log" 2>&1; then
    grep -v '^ptxas info\|^    [0-9]* bytes stack frame' "$WORK/nvcc.log" >&2 || true
    say "nvcc failed: GPU kernels not built" >&2
    exit 1
fi
SECONDS_TAKEN=$((SECONDS - START))

# Anything nvcc said besides ptxas' resource report (warnings) goes to the log as is.
grep -v '^ptxas info\|^    [0-9]* bytes stack frame\|^$' "$WORK/nvcc.log" || true

# One line per kernel per architecture: arch name registers smem stack spill_stores spill_loads
awk '
/Compiling entry function/ {
    name = $0; sub(/.*function \047/, "", name); sub(/\047.*/, "", name)
    arch = $0; sub(/.* for \047/, "", arch); sub(/\047.*/, "", arch)
    stack = 0; spill_st = 0; spill_ld = 0
    next
}
/bytes stack frame/ { stack = $1; spill_st = $5; spill_ld = $9; next }
/Used [0-9]+ registers/ {
    regs = $0; sub(/.*Used /, "", regs); sub(/ registers.*/, "", regs)
    smem = 0
    if ($0 ~ /bytes smem/) { smem = $0; sub(/ bytes smem.*/, "", smem); sub(/.* /, "", smem) }
    print arch, name, regs, smem, stack, spill_st, spill_ld
}' "$WORK/nvcc.log" >"$WORK/usage.txt"

while read -r arch name regs smem stack spill_st spill_ld; do
    printf '%-6s %-26s %3s regs %6s B smem %4s B stack %4s/%s B spill st/ld\n' \
        "$arch" "$name" "$regs" "$smem" "$stack" "$spill_st" "$spill_ld" >>"$WORK/kernel-resources.txt"
    if [[ "$arch" == "sm_$CHECK_ARCH" && ("$spill_st" != 0 || "$spill_ld" != 0 || "$stack" != 0) ]]; then
        say "WARNING: $name spills on sm_$CHECK_ARCH ($spill_st B stores, $spill_ld B loads, $stack B stack frame)"
    fi
done < <(sort -k2,2 -k1,1 "$WORK/usage.txt")
if [[ "${KERNELS_VERBOSE:-0}" == 1 ]]; then
    sed 's/^/[kernels] /' "$WORK/kernel-resources.txt"
fi

# The compiled kernels must be exactly the declared ones, in every SASS image and in the fatbin.
NAMES="$WORK/names.txt"
"${JAVA_HOME:+$JAVA_HOME/bin/}java" "$SPEC" "$KERNELS" --names "$NAMES"
mapfile -t EXPECTED <"$NAMES"
PROBLEMS=0
for arch in "${SASS_ARCHS[@]}"; do
    for name in "${EXPECTED[@]}"; do
        if ! grep -q "^sm_$arch $name " "$WORK/usage.txt"; then
            say "ERROR: kernel $name (declared extern \"C\" __global__) was not compiled for sm_$arch" >&2
            PROBLEMS=1
        fi
    done
done
for name in $(cut -d' ' -f2 "$WORK/usage.txt" | sort -u); do
    if ! grep -qxF "$name" "$NAMES"; then
        say "ERROR: kernel $name was compiled but the kernel spec does not see its declaration" >&2
        PROBLEMS=1
    fi
done
# symbol names are NUL-terminated strings in the ELF images
tr '\0' '\n' <"$WORK/kernelnet.fatbin" | LC_ALL=C grep -ax -F -f <(printf '%s\n' "${EXPECTED[@]}") | sort -u \
    >"$WORK/in-fatbin.txt" || true
for name in "${EXPECTED[@]}"; do
    if ! grep -qx "$name" "$WORK/in-fatbin.txt"; then
        say "ERROR: kernel $name is missing from the fatbin" >&2
        PROBLEMS=1
    fi
done
if ((PROBLEMS)); then
    exit 1
fi

mkdir -p "$OUTDIR" "$(dirname "$REPORT")"
cp "$WORK/kernel-resources.txt" "$REPORT"
cp "$WORK/kernelnet.fatbin" "$FATBIN.tmp"
mv -f "$FATBIN.tmp" "$FATBIN"
say "built $FATBIN ($(($(stat -c %s "$FATBIN") / 1024)) KiB, ${#EXPECTED[@]} kernels) in ${SECONDS_TAKEN} s;" \
    "registers and spills per kernel: $REPORT"
