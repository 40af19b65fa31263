package io.kernelnet.backend.cuda;

import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Storage;

/** One cuMemAlloc allocation of float32 elements; tensors are views into it at element offsets. */
public final class CudaStorage extends Storage {
    private final DeviceMemory memory;
    private final DevicePointer base;
    private final Device device;

    CudaStorage(DeviceMemory memory, DevicePointer base, long floats, String label, CudaDeviceInfo info) {
        super(floats, label);
        this.memory = memory;
        this.base = base;
        this.device = Device.cuda(info.ordinal(), info.name());
    }

    @Override
    public Device device() {
        return device;
    }

    DeviceMemory memory() {
        return memory;
    }

    DevicePointer base() {
        return base;
    }

    /** The device address of element {@code elementOffset}. */
    DevicePointer at(long elementOffset) {
        checkOpen();
        return base.plusBytes(elementOffset * Float.BYTES);
    }

    /** Raw device address of the allocation (for diagnostics and interop). */
    public long address() {
        checkOpen();
        return base.address();
    }

    @Override
    protected void release() {
        memory.free(this);
    }
}
