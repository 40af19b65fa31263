package io.kernelnet.testing;

import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaRuntime;

/**
 * What a GPU test needs, as assumptions: without it the test is skipped, saying why (GpuTestSummary lists the
 * reasons). Our kernels run on a GPU or on the KernelNet emulated device; cuBLAS, cuDNN and the TF32 tensor-core
 * kernel only on a GPU.
 */
public final class GpuAssumptions {
    public static final Availability CUDA = CudaRuntime.availability();

    private GpuAssumptions() {
    }

    /** A device that runs our kernels: a GPU or the emulated device. */
    public static void usableDevice() {
        assumeTrue(CUDA.usable(), CUDA.reason());
    }

    /** A GPU, not the emulated device (timings). */
    public static void gpu() {
        usableDevice();
        assumeFalse(CUDA.emulated(), "the " + CudaRuntime.EMULATED_DEVICE_NAME + " is not timed");
    }

    /** cuBLAS and cuDNN: a GPU. */
    public static void vendorLibraries() {
        usableDevice();
        assumeFalse(CUDA.emulated(), "cuBLAS and cuDNN do not run on the " + CudaRuntime.EMULATED_DEVICE_NAME);
    }

    /** The TF32 GEMM (mma.sync PTX): a GPU. */
    public static void tensorCores() {
        usableDevice();
        assumeFalse(CUDA.emulated(), "TF32 tensor cores (mma.sync PTX) do not run on the "
                + CudaRuntime.EMULATED_DEVICE_NAME);
    }
}
