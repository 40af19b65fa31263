package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/** GPU time between two points of the backend's stream, measured by CUDA events (for benchmarks). */
public final class EventTimer implements AutoCloseable {
    private final CudaContext context;
    private final CUevent start = new CUevent();
    private final CUevent stop = new CUevent();

    EventTimer(CudaContext context) {
        this.context = context;
        context.bind();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
    }

    /** Marks the start: work queued after this call is timed. */
    public void start() {
        cuEventRecord(start, context.stream());
    }

    /** Marks the end, waits for it, and returns the milliseconds between the marks. */
    public float stopMillis() {
        cuEventRecord(stop, context.stream());
        try {
            cuEventSynchronize(stop);
        } catch (jcuda.CudaException e) {
            throw CudaException.of("timed work", "cuEventSynchronize", e);
        }
        float[] ms = new float[1];
        cuEventElapsedTime(ms, start, stop);
        return ms[0];
    }

    @Override
    public void close() {
        context.bind();
        cuEventDestroy(start);
        cuEventDestroy(stop);
    }
}
