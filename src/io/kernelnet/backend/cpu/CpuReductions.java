package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuReductions {
    private CpuReductions() {
    }

    static float sum(Tensor x) {
        throw new UnsupportedOperationException("CpuReductions: not written yet");
    }

    static float mean(Tensor x) {
        throw new UnsupportedOperationException("CpuReductions: not written yet");
    }

    static void argmax(Tensor indices, Tensor x) {
        throw new UnsupportedOperationException("CpuReductions: not written yet");
    }

    static int accuracyCount(Tensor scores, Tensor labels) {
        throw new UnsupportedOperationException("CpuReductions: not written yet");
    }
}
