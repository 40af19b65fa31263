#!/usr/bin/env bash
# Placeholder until the kernel build lands: says that no kernels were built.
echo "[kernels] not built yet"
