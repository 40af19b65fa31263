package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

/**
 * Host-device copies through one page-locked buffer: a Java array cannot be copied asynchronously, and pinned
 * memory copies at full PCIe speed. The buffer grows only when a larger transfer arrives (so a training loop, once
 * warm, allocates nothing) up to {@link #MAX_CHUNK_FLOATS}; larger transfers go in chunks of that size.
 */
final class PinnedStaging implements AutoCloseable {
    /** 64 MiB: large enough for full copy speed, small enough not to pin a dataset's worth of host memory. */
    static final int MAX_CHUNK_FLOATS = 16 << 20;

    private final CudaContext context;
    private final PinnedBuffer buffer = new PinnedBuffer();

    PinnedStaging(CudaContext context) {
        this.context = context;
    }

    /** dst[0..n) on the device = src[srcOffset..srcOffset+n). Returns when the copy is done. */
    void upload(String op, DevicePointer dst, float[] src, int srcOffset, long n) {
        for (long done = 0; done < n; ) {
            int chunk = chunkSize(n - done);
            buffer.ensure(op, chunk);
            buffer.view().put(src, srcOffset + (int) done, chunk);
            try {
                cuMemcpyHtoDAsync(dst.plusBytes(done * Float.BYTES), buffer.host(), (long) chunk * Float.BYTES,
                        context.stream());
            } catch (jcuda.CudaException e) {
                throw CudaException.of(op, "cuMemcpyHtoDAsync", e);
            }
            // the staging buffer is reused by the next chunk or call, so the copy must have finished
            context.synchronize(op);
            done += chunk;
        }
    }

    /** dst[dstOffset..dstOffset+n) = src[0..n) on the device, after all work queued before it. */
    void download(String op, float[] dst, int dstOffset, DevicePointer src, long n) {
        for (long done = 0; done < n; ) {
            int chunk = chunkSize(n - done);
            buffer.ensure(op, chunk);
            try {
                cuMemcpyDtoHAsync(buffer.host(), src.plusBytes(done * Float.BYTES), (long) chunk * Float.BYTES,
                        context.stream());
            } catch (jcuda.CudaException e) {
                throw CudaException.of(op, "cuMemcpyDtoHAsync", e);
            }
            context.synchronize(op);
            buffer.view().get(dst, dstOffset + (int) done, chunk);
            done += chunk;
        }
    }

    /** Downloads a few floats (a loss and its flags) into a fresh array: the one sync a scalar result costs. */
    float[] downloadSmall(String op, DevicePointer src, int n) {
        float[] out = new float[n];
        download(op, out, 0, src, n);
        return out;
    }

    static int chunkSize(long remaining) {
        return (int) Math.min(remaining, MAX_CHUNK_FLOATS);
    }

    /** Grows to the next power of two at or above {@code floats} (capped), so growth happens a few times at most. */
    static int grownCapacity(int current, int floats) {
        if (floats <= current) {
            return current;
        }
        int grown = Integer.highestOneBit(Math.max(floats - 1, 1)) << 1;
        return Math.min(Math.max(grown, 1024), MAX_CHUNK_FLOATS);
    }

    /** Bytes of pinned host memory held now. */
    long pinnedBytes() {
        return buffer.bytes();
    }

    @Override
    public void close() {
        buffer.close();
    }
}
