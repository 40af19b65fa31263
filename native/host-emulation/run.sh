#!/usr/bin/env bash
# Builds and runs the host emulation of the conv2d, pool2d, bias, GEMM-epilogue, optimizer, dropout and softmax
# kernels (no GPU needed): see emulate.cpp.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
g++ -std=c++20 -O1 -pthread -x c++ -I "$HERE" -include "$HERE/cuda_shim.h" -o "$OUT/emulate" "$HERE/emulate.cpp"
"$OUT/emulate"
