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
 * first use), and the one place kernels are launched (through the generated, typed {@link Kernels}): on the
 * backend's stream, block 256, errors naming the op and the kernel.
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

    /**
     * Launches {@code kernel} with 256-thread blocks on the backend's stream. Only the generated {@link Kernels}
     * calls this: {@code params} is the kernel's parameter list, checked against its declaration there.
     */
    void launch(String op, Kernel kernel, Grid grid, Pointer params) {
        try {
            cuLaunchKernel(functions.get(kernel), grid.x(), grid.y(), grid.z(), LaunchConfig.BLOCK, 1, 1, 0,
                    context.stream(), params, null);
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, kernel.symbol + "<<<(" + grid.x() + "," + grid.y() + "," + grid.z() + "), "
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

    long launches() {
        return launches;
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
