package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamIsCapturing;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstreamCaptureStatus;

/**
 * The fatbin loaded once, every {@link Kernel} looked up once (a missing one is named at construction, not at
 * first use), and the one place kernels are launched: on the backend's stream, block 256, errors naming the op
 * and the kernel.
 */
final class KernelModule implements AutoCloseable {
    /** System property: synchronize after every launch so that a failing kernel is named by its own error. */
    static final String SYNC_PROPERTY = "kernelnet.cuda.syncEachLaunch";

    private final CudaContext context;
    private final CUmodule module = new CUmodule();
    private final Map<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    private final boolean syncEachLaunch = Boolean.getBoolean(SYNC_PROPERTY);
    private boolean loaded;
    private long launches;

    KernelModule(CudaContext context, byte[] image) {
        this.context = context;
        context.bind();
        try {
            // a PTX image must be NUL-terminated; a fatbin carries its own length, so the extra byte is harmless
            cuModuleLoadData(module, Arrays.copyOf(image, image.length + 1));
        } catch (jcuda.CudaException e) {
            throw CudaException.of("load kernels", "cuModuleLoadData(" + CudaRuntime.KERNELS_RESOURCE + ", "
                    + image.length + " bytes) on " + context.info().arch(), e);
        }
        loaded = true;
        for (Kernel k : Kernel.values()) {
            CUfunction f = new CUfunction();
            try {
                cuModuleGetFunction(f, module, k.symbol);
            } catch (jcuda.CudaException e) {
                close();
                throw new IllegalStateException("kernel " + k.symbol + " is missing from "
                        + CudaRuntime.KERNELS_RESOURCE + " (" + e.getMessage() + "): rebuild the kernels", e);
            }
            functions.put(k, f);
        }
    }

    /** Launches {@code kernel} with a {@code gridX x gridY x gridZ} grid of 256-thread blocks. */
    void launch(String op, Kernel kernel, int gridX, int gridY, int gridZ, Pointer... args) {
        try {
            cuLaunchKernel(functions.get(kernel), gridX, gridY, gridZ, LaunchConfig.BLOCK, 1, 1, 0,
                    context.stream(), Pointer.to(args), null);
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, kernel.symbol + "<<<(" + gridX + "," + gridY + "," + gridZ + "), "
                    + LaunchConfig.BLOCK + ">>>", e);
        }
        launches++;
        if (syncEachLaunch && !capturing()) {
            context.synchronize(op + " (" + kernel.symbol + ")");
        }
    }

    /** Whether the stream is being captured into a CUDA graph, where a synchronization would end the capture. */
    private boolean capturing() {
        int[] status = new int[1];
        cuStreamIsCapturing(context.stream(), status);
        return status[0] != CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_NONE;
    }

    void launch(String op, Kernel kernel, int grid, Pointer... args) {
        launch(op, kernel, grid, 1, 1, args);
    }

    long launches() {
        return launches;
    }

    static Pointer arg(DevicePointer p) {
        return Pointer.to(p);
    }

    /** A NULL device pointer (kn_sgd's velocity without momentum, the unused input of an activation backward). */
    static Pointer nullArg() {
        return Pointer.to(new long[] {0L});
    }

    static Pointer arg(int v) {
        return Pointer.to(new int[] {v});
    }

    static Pointer arg(float v) {
        return Pointer.to(new float[] {v});
    }

    static Pointer arg(long v) {
        return Pointer.to(new long[] {v});
    }

    @Override
    public void close() {
        if (loaded) {
            loaded = false;
            context.bind();
            cuModuleUnload(module);
        }
    }
}
