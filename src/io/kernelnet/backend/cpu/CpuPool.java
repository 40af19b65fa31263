package io.kernelnet.backend.cpu;

import io.kernelnet.backend.*;
import io.kernelnet.tensor.Tensor;

/** Stub: being written. */
final class CpuPool {
    private CpuPool() {
    }

    static void maxForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        throw new UnsupportedOperationException("CpuPool: not written yet");
    }

    static void maxBackward(Tensor dx, Tensor dy, Tensor argmax, Pool2dGeometry g) {
        throw new UnsupportedOperationException("CpuPool: not written yet");
    }

    static void avgForward(Tensor y, Tensor x, Pool2dGeometry g) {
        throw new UnsupportedOperationException("CpuPool: not written yet");
    }

    static void avgBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        throw new UnsupportedOperationException("CpuPool: not written yet");
    }
}
