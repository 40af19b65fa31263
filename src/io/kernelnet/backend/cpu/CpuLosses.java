package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuLosses {
    private CpuLosses() {
    }

    static float mse(Tensor dPred, Tensor pred, Tensor target) {
        throw new UnsupportedOperationException("CpuLosses: not written yet");
    }

    static float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        throw new UnsupportedOperationException("CpuLosses: not written yet");
    }

    static float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        throw new UnsupportedOperationException("CpuLosses: not written yet");
    }
}
