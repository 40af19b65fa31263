package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuOptimizers {
    private CpuOptimizers() {
    }

    static void sgd(Tensor param, Tensor grad, Tensor velocity, SgdStep step) {
        throw new UnsupportedOperationException("CpuOptimizers: not written yet");
    }

    static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamStep step) {
        throw new UnsupportedOperationException("CpuOptimizers: not written yet");
    }
}
