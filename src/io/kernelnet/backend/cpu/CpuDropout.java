package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuDropout {
    private CpuDropout() {
    }

    static void forward(Tensor y, Tensor mask, Tensor x, float rate, long seed, long offset) {
        throw new UnsupportedOperationException("CpuDropout: not written yet");
    }

    static void backward(Tensor dx, Tensor dy, Tensor mask) {
        throw new UnsupportedOperationException("CpuDropout: not written yet");
    }
}
