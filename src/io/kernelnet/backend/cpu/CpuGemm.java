package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuGemm {
    private CpuGemm() {
    }

    static void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        throw new UnsupportedOperationException("CpuGemm: not written yet");
    }

    static void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        throw new UnsupportedOperationException("CpuGemm: not written yet");
    }

    static void biasAdd(Tensor y, Tensor bias) {
        throw new UnsupportedOperationException("CpuGemm: not written yet");
    }

    static void biasGrad(Tensor dBias, Tensor dy) {
        throw new UnsupportedOperationException("CpuGemm: not written yet");
    }

    static void add(Tensor y, Tensor a, Tensor b) {
        throw new UnsupportedOperationException("CpuGemm: not written yet");
    }
}
