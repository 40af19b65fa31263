package io.kernelnet.backend.cuda;

import jcuda.driver.CUstream;

/** The backend's stream, with its raw handle readable so that cuBLAS can be put on the same stream. */
final class DeviceStream extends CUstream {
    long address() {
        return getNativePointer();
    }
}
