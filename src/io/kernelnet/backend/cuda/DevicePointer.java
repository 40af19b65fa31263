package io.kernelnet.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A device address that can be offset (a tensor inside its storage) and read as a raw address (for cuBLAS through
 * JavaCPP). JCuda adds the byte offset to the base address whenever the pointer is passed to a call or a kernel.
 */
final class DevicePointer extends CUdeviceptr {
    DevicePointer() {
    }

    private DevicePointer(DevicePointer base, long byteOffset) {
        super(base, byteOffset);
    }

    DevicePointer plusBytes(long bytes) {
        return bytes == 0 ? this : new DevicePointer(this, bytes);
    }

    /** Base address plus byte offset. */
    long address() {
        return getNativePointer() + getByteOffset();
    }
}
