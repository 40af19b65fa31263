package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUstream_flags;

/**
 * One device's primary context (the one cuBLAS and cuDNN use too) and the backend's one non-blocking stream, on
 * which every copy, kernel and library call of the backend is queued in order.
 */
final class CudaContext implements AutoCloseable {
    private final CudaDeviceInfo info;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final DeviceStream stream = new DeviceStream();
    /** The context each thread last made current through any backend (the driver keeps one per thread). */
    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    private boolean contextRetained;
    private boolean streamCreated;

    CudaContext(CudaDeviceInfo info) {
        this.info = info;
        try {
            cuDeviceGet(device, info.ordinal());
            cuDevicePrimaryCtxRetain(context, device);
            contextRetained = true;
            bind();
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            streamCreated = true;
        } catch (jcuda.CudaException e) {
            close();
            throw CudaException.of("open " + info.summary(), "context setup", e);
        }
    }

    CudaDeviceInfo info() {
        return info;
    }

    DeviceStream stream() {
        return stream;
    }

    /** Makes the context current on the calling thread, unless this thread's last bind was already to it. */
    void bind() {
        if (CURRENT.get() != this) {
            cuCtxSetCurrent(context);
            CURRENT.set(this);
        }
    }

    /** Waits for the stream; an asynchronous kernel failure surfaces here. */
    void synchronize(String op) {
        try {
            cuStreamSynchronize(stream);
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, "cuStreamSynchronize", e);
        }
    }

    @Override
    public void close() {
        try {
            if (streamCreated) {
                bind();
                streamCreated = false;
                cuStreamDestroy(stream);
            }
        } finally {
            if (contextRetained) {
                contextRetained = false;
                if (CURRENT.get() == this) {
                    CURRENT.remove();
                }
                cuDevicePrimaryCtxRelease(device);
            }
        }
    }
}
