package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;

/**
 * One page-locked host buffer of floats that grows only when a larger transfer arrives (to the next power of two,
 * at most {@link PinnedStaging#MAX_CHUNK_FLOATS}), so that a training loop, once warm, allocates nothing.
 */
final class PinnedBuffer implements AutoCloseable {
    private Pointer host;
    private FloatBuffer view;
    private int capacityFloats;

    /** Holds at least {@code floats} (at most MAX_CHUNK_FLOATS) from now on; the contents are not kept. */
    void ensure(String op, int floats) {
        int wanted = PinnedStaging.grownCapacity(capacityFloats, floats);
        if (wanted == capacityFloats) {
            return;
        }
        close();
        Pointer p = new Pointer();
        try {
            cuMemAllocHost(p, (long) wanted * Float.BYTES);
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, "cuMemAllocHost(" + (long) wanted * Float.BYTES + " bytes)", e);
        }
        host = p;
        view = p.getByteBuffer(0, (long) wanted * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        capacityFloats = wanted;
    }

    Pointer host() {
        return host;
    }

    /** The buffer as floats, position 0. */
    FloatBuffer view() {
        view.clear();
        return view;
    }

    long bytes() {
        return (long) capacityFloats * Float.BYTES;
    }

    @Override
    public void close() {
        if (host != null) {
            Pointer p = host;
            host = null;
            view = null;
            capacityFloats = 0;
            cuMemFreeHost(p);
        }
    }
}
