#!/usr/bin/env bash
# Builds and runs the host emulation of the conv2d, pool2d, bias, GEMM-epilogue, optimizer, dropout and softmax
# kernels against transcriptions of the CPU reference (no GPU needed): see emulate.cpp. The kernels run on the
# emulated device's SIMT runtime (native/cuda-emulator/simt.h, simt.cpp). Without g++ it says so and exits 0.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIMT="$HERE/../cuda-emulator"
CXX="${CXX:-g++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
    echo "[host-emulation] $CXX not found: kernel host emulation skipped"
    exit 0
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"$CXX" -std=c++20 -O1 -fno-strict-aliasing -Wno-unknown-pragmas -I "$SIMT/include" -include "$SIMT/simt.h" \
    -o "$OUT/emulate" "$HERE/emulate.cpp" "$SIMT/simt.cpp"
"$OUT/emulate"
