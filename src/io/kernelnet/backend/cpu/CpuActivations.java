package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuActivations {
    private CpuActivations() {
    }

    static void forward(Tensor y, Tensor x, Activation act, float alpha) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }

    static void backward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }

    static void softmaxForward(Tensor y, Tensor x) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }

    static void softmaxBackward(Tensor dx, Tensor dy, Tensor y) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }

    static void logSoftmaxForward(Tensor y, Tensor x) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }

    static void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y) {
        throw new UnsupportedOperationException("CpuActivations: not written yet");
    }
}
