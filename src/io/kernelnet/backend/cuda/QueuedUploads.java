package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/**
 * Uploads that do not wait for the device (a training step's batch): the data goes into the next of {@link #SLOTS}
 * page-locked buffers, the copy is queued on the stream and an event recorded behind it; a buffer is written
 * again only after its event, {@link #SLOTS} uploads later, so the host can run that far ahead of the device.
 */
final class QueuedUploads implements AutoCloseable {
    /** A batch is two uploads (inputs, targets): the host may queue two steps ahead. */
    static final int SLOTS = 4;

    private final CudaContext context;
    private final PinnedBuffer[] buffers = new PinnedBuffer[SLOTS];
    private final CUevent[] copied = new CUevent[SLOTS];
    private int next;

    QueuedUploads(CudaContext context) {
        this.context = context;
        try {
            for (int s = 0; s < SLOTS; s++) {
                buffers[s] = new PinnedBuffer();
                copied[s] = new CUevent();
                cuEventCreate(copied[s], CUevent_flags.CU_EVENT_DISABLE_TIMING);
            }
        } catch (jcuda.CudaException e) {
            close();
            throw CudaException.of("open queued uploads", "cuEventCreate", e);
        }
    }

    /** Whether {@code n} floats fit one buffer (larger uploads go through PinnedStaging, in chunks, waiting). */
    static boolean fits(long n) {
        return n <= PinnedStaging.MAX_CHUNK_FLOATS;
    }

    /** Queues dst[0..n) = src[srcOffset..srcOffset+n) (n fits); src may be reused when this returns. */
    void upload(String op, DevicePointer dst, float[] src, int srcOffset, int n) {
        int s = next;
        next = (next + 1) % SLOTS;
        try {
            cuEventSynchronize(copied[s]);  // the copy that last read this buffer is done
            buffers[s].ensure(op, n);
            buffers[s].view().put(src, srcOffset, n);
            cuMemcpyHtoDAsync(dst, buffers[s].host(), (long) n * Float.BYTES, context.stream());
            cuEventRecord(copied[s], context.stream());
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, "queued upload of " + n + " floats", e);
        }
    }

    long pinnedBytes() {
        long bytes = 0;
        for (PinnedBuffer b : buffers) {
            bytes += b == null ? 0 : b.bytes();
        }
        return bytes;
    }

    /** Frees buffers and events; the backend has waited for its stream first (CudaBackend.close). */
    @Override
    public void close() {
        for (int s = 0; s < SLOTS; s++) {
            if (copied[s] != null) {
                cuEventDestroy(copied[s]);
                copied[s] = null;
            }
            if (buffers[s] != null) {
                buffers[s].close();
            }
        }
    }
}
