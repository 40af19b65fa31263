package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import jcuda.driver.CUresult;

/**
 * cuMemAlloc/cuMemFree for one backend, counting the bytes it holds now and at most, so that the graph layer's
 * one-allocation memory plan can be checked against what the device really gave.
 */
final class DeviceMemory {
    private final CudaContext context;
    private final Set<CudaStorage> live = Collections.newSetFromMap(new IdentityHashMap<>());
    private long allocatedBytes;
    private long peakBytes;

    DeviceMemory(CudaContext context) {
        this.context = context;
    }

    CudaStorage allocate(long floats, String label) {
        if (floats < 0) {
            throw new IllegalArgumentException("allocate '" + label + "': negative size " + floats);
        }
        long bytes = floats * Float.BYTES;
        DevicePointer base = new DevicePointer();
        if (bytes > 0) {
            context.bind();
            try {
                cuMemAlloc(base, bytes);
            } catch (jcuda.CudaException e) {
                if (CudaException.is(e, CUresult.CUDA_ERROR_OUT_OF_MEMORY)) {
                    long[] free = new long[1];
                    long[] total = new long[1];
                    cuMemGetInfo(free, total);
                    CudaException oom = new CudaException(outOfMemoryMessage(label, floats, free[0], total[0],
                            allocatedBytes, context.info()), e.getMessage());
                    oom.initCause(e);
                    throw oom;
                }
                throw CudaException.of("allocate '" + label + "'", "cuMemAlloc(" + bytes + " bytes)", e);
            }
        }
        CudaStorage storage = new CudaStorage(this, base, floats, label, context.info());
        live.add(storage);
        allocatedBytes += bytes;
        peakBytes = Math.max(peakBytes, allocatedBytes);
        return storage;
    }

    static String outOfMemoryMessage(String label, long floats, long freeBytes, long totalBytes, long heldBytes,
                                     CudaDeviceInfo device) {
        return "cuda: allocate '" + label + "': out of device memory: requested " + floats + " floats ("
                + bytes(floats * Float.BYTES) + "), " + bytes(freeBytes) + " free of " + bytes(totalBytes) + " on "
                + device.summary() + "; this backend holds " + bytes(heldBytes);
    }

    /** "4 TiB", "1.50 GiB", "12.0 MiB", "300 bytes". */
    static String bytes(long n) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (n < 1024) {
            return n + " bytes";
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.2f", v)) + " " + units[u];
    }

    /** Called once per storage, from {@link CudaStorage#release()}. */
    void free(CudaStorage storage) {
        if (!live.remove(storage)) {
            return;
        }
        allocatedBytes -= storage.capacity() * Float.BYTES;
        if (storage.capacity() > 0) {
            context.bind();
            try {
                cuMemFree(storage.base());
            } catch (jcuda.CudaException e) {
                throw CudaException.of("free '" + storage.label() + "'", "cuMemFree", e);
            }
        }
    }

    /** Frees whatever is still allocated: it would go with the context anyway. Returns how many. */
    int freeAll() {
        List<CudaStorage> open = new ArrayList<>(live);
        for (CudaStorage s : open) {
            s.close();
        }
        return open.size();
    }

    boolean owns(CudaStorage storage) {
        return storage.memory() == this;
    }

    long allocatedBytes() {
        return allocatedBytes;
    }

    long peakBytes() {
        return peakBytes;
    }
}
