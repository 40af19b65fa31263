package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.testing.GpuAssumptions;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstreamCaptureMode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the KernelNet emulated device (native/cuda-emulator) catches that a GPU would only show as corrupted memory
 * or a later sticky error: a kernel writing past its allocation, a call that stream capture forbids, a kernel that
 * is not in the spec. Each test opens and closes its own context, so a sticky error ends with it. Runs on the
 * emulated device only.
 */
@Tag("gpu")
class EmulatedDeviceGpuTest {
    private static final int FLOATS = 16;

    @BeforeEach
    void needsTheEmulatedDevice() {
        GpuAssumptions.usableDevice();
        assumeTrue(GpuAssumptions.CUDA.emulated(), "checks of the emulated device itself");
    }

    private static CudaContext open() {
        return new CudaContext(GpuAssumptions.CUDA.devices().get(0));
    }

    @Test
    void aKernelWritingPastItsAllocationFailsTheLaunchAndTheContextUntilItCloses() {
        try (CudaContext context = open(); KernelModule module = new KernelModule(context, new byte[1])) {
            Kernels kernels = new Kernels(module);
            DeviceMemory memory = new DeviceMemory(context);
            CudaStorage s = memory.allocate(FLOATS, "probe");
            kernels.fill("in bounds", Grid.of(1), s.base(), 1f, FLOATS);
            CudaException e = assertThrows(CudaException.class,
                    () -> kernels.fill("one past", Grid.of(1), s.base(), 2f, FLOATS + 1));
            assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", e.errorName());
            assertTrue(e.getMessage().contains("kn_fill"), e.getMessage());
            // sticky, as on a GPU: every later call of the context fails the same way
            CudaException later = assertThrows(CudaException.class, () -> context.synchronize("later"));
            assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", later.errorName());
        }
        // the context went with its last user, and its error with it
        try (CudaContext context = open(); KernelModule module = new KernelModule(context, new byte[1])) {
            DeviceMemory memory = new DeviceMemory(context);
            CudaStorage s = memory.allocate(FLOATS, "probe");
            new Kernels(module).fill("in bounds", Grid.of(1), s.base(), 3f, FLOATS);
            float[] back = new float[FLOATS];
            try (PinnedStaging staging = new PinnedStaging(context)) {
                staging.download("download", back, 0, s.base(), FLOATS);
            }
            float[] threes = new float[FLOATS];
            java.util.Arrays.fill(threes, 3f);
            assertArrayEquals(threes, back);
            memory.freeAll();
        }
    }

    @Test
    void anAllocationWhileCapturingInvalidatesTheCapture() {
        try (CudaContext context = open()) {
            cuStreamBeginCapture(context.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            jcuda.CudaException alloc = assertThrows(jcuda.CudaException.class,
                    () -> cuMemAlloc(new DevicePointer(), 64));
            assertTrue(CudaException.is(alloc, CUresult.CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED), alloc.getMessage());
            jcuda.CudaException end = assertThrows(jcuda.CudaException.class,
                    () -> cuStreamEndCapture(context.stream(), new CUgraph()));
            assertTrue(CudaException.is(end, CUresult.CUDA_ERROR_STREAM_CAPTURE_INVALIDATED), end.getMessage());
        }
    }

    @Test
    void aKernelTheSpecDoesNotDeclareIsNotFound() {
        try (CudaContext context = open()) {
            CUmodule module = new CUmodule();
            cuModuleLoadData(module, new byte[1]);
            jcuda.CudaException e = assertThrows(jcuda.CudaException.class,
                    () -> cuModuleGetFunction(new CUfunction(), module, "kn_not_declared"));
            assertTrue(CudaException.is(e, CUresult.CUDA_ERROR_NOT_FOUND), e.getMessage());
            cuModuleUnload(module);
        }
    }
}
