package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuConv {
    private CpuConv() {
    }

    static void forward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        throw new UnsupportedOperationException("CpuConv: not written yet");
    }

    static void backwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        throw new UnsupportedOperationException("CpuConv: not written yet");
    }

    static void backwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        throw new UnsupportedOperationException("CpuConv: not written yet");
    }
}
