package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * Uploads that do not wait for the device (a training step's batch): the data goes into the next of {@link #SLOTS}
 * page-locked buffers, the copy is queued and an event recorded behind it; a buffer is written again only after
 * its event, {@link #SLOTS} uploads later, so the host can run that far ahead of the device.
 *
 * <p>Once {@link #reserve} has given each slot a device landing buffer (the graph layer reserves the largest
 * upload of a step at build), the host-to-device copy runs on a second stream into the slot's landing buffer,
 * while the backend's stream still computes the previous step, which reads the destination; the backend's stream
 * then waits for it and moves the data with a device-to-device copy (about a microsecond for a batch, against
 * tens for the copy over PCIe). A landing buffer is written again only after that move. An upload larger than
 * the reservation is copied on the backend's stream, in order.
 */
final class QueuedUploads implements AutoCloseable {
    /** A training step is three uploads (inputs, targets, step scalars): the host may queue two steps ahead. */
    static final int SLOTS = 6;

    private final CudaContext context;
    private final DeviceMemory memory;
    private final PinnedBuffer[] buffers = new PinnedBuffer[SLOTS];
    /** Behind each slot's host-to-device copy: its pinned buffer may be written again. */
    private final CUevent[] copied = new CUevent[SLOTS];
    /** Behind each slot's move out of its landing buffer: the landing buffer may be written again. */
    private final CUevent[] moved = new CUevent[SLOTS];
    private final CudaStorage[] landing = new CudaStorage[SLOTS];
    private final CUstream copyStream = new CUstream();
    private boolean copyStreamCreated;
    private long landingFloats;
    private long overlapped;
    private int next;

    QueuedUploads(CudaContext context, DeviceMemory memory) {
        this.context = context;
        this.memory = memory;
        try {
            for (int s = 0; s < SLOTS; s++) {
                buffers[s] = new PinnedBuffer();
                copied[s] = new CUevent();
                cuEventCreate(copied[s], CUevent_flags.CU_EVENT_DISABLE_TIMING);
                moved[s] = new CUevent();
                cuEventCreate(moved[s], CUevent_flags.CU_EVENT_DISABLE_TIMING);
            }
            cuStreamCreate(copyStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            copyStreamCreated = true;
        } catch (jcuda.CudaException e) {
            close();
            throw CudaException.of("open queued uploads", "cuEventCreate/cuStreamCreate", e);
        }
    }

    /** Whether {@code n} floats fit one buffer (larger uploads go through PinnedStaging, in chunks, waiting). */
    static boolean fits(long n) {
        return n <= PinnedStaging.MAX_CHUNK_FLOATS;
    }

    /**
     * Gives every slot a landing buffer of at least {@code floats} (never shrinks), so that uploads up to that size
     * overlap the computation. Waits for the device when it replaces smaller ones.
     */
    void reserve(long floats) {
        if (floats <= landingFloats || !fits(floats)) {
            return;
        }
        context.synchronize("reserve queued uploads");
        try {
            cuStreamSynchronize(copyStream);
        } catch (jcuda.CudaException e) {
            throw CudaException.of("reserve queued uploads", "cuStreamSynchronize", e);
        }
        for (int s = 0; s < SLOTS; s++) {
            if (landing[s] != null) {
                landing[s].close();
                landing[s] = null;
            }
        }
        landingFloats = 0;
        for (int s = 0; s < SLOTS; s++) {
            landing[s] = memory.allocate(floats, "scratch: landing buffer " + s + " of queued uploads");
        }
        landingFloats = floats;
    }

    /** Queues dst[0..n) = src[srcOffset..srcOffset+n) (n fits); src may be reused when this returns. */
    void upload(String op, DevicePointer dst, float[] src, int srcOffset, int n) {
        int s = next;
        next = (next + 1) % SLOTS;
        long bytes = (long) n * Float.BYTES;
        try {
            cuEventSynchronize(copied[s]);  // the copy that last read this pinned buffer is done
            buffers[s].ensure(op, n);
            buffers[s].view().put(src, srcOffset, n);
            if (n > landingFloats) {
                cuMemcpyHtoDAsync(dst, buffers[s].host(), bytes, context.stream());
                cuEventRecord(copied[s], context.stream());
                return;
            }
            DevicePointer landed = landing[s].base();
            cuStreamWaitEvent(copyStream, moved[s], 0);  // the last move out of this landing buffer is done
            cuMemcpyHtoDAsync(landed, buffers[s].host(), bytes, copyStream);
            cuEventRecord(copied[s], copyStream);
            cuStreamWaitEvent(context.stream(), copied[s], 0);
            cuMemcpyDtoDAsync(dst, landed, bytes, context.stream());
            cuEventRecord(moved[s], context.stream());
            overlapped++;
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

    /** Uploads copied on the second stream so far: evidence, in the GPU tests, that the overlap path ran. */
    long overlapped() {
        return overlapped;
    }

    /**
     * Waits for the second stream, then frees it, the buffers and the events, each whatever happened to the others;
     * the backend has waited for its own stream first, and frees the landing buffers after this (CudaBackend.close).
     */
    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>();
        if (copyStreamCreated) {
            copyStreamCreated = false;
            steps.add(() -> cuStreamSynchronize(copyStream));
            steps.add(() -> cuStreamDestroy(copyStream));
        }
        for (int s = 0; s < SLOTS; s++) {
            for (CUevent event : new CUevent[] {copied[s], moved[s]}) {
                if (event != null) {
                    steps.add(() -> cuEventDestroy(event));
                }
            }
            copied[s] = null;
            moved[s] = null;
            if (buffers[s] != null) {
                steps.add(buffers[s]::close);
            }
        }
        Cleanup.runAll(steps);
    }
}
