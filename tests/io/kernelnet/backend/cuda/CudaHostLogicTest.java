package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.ShapeChecks;
import org.junit.jupiter.api.Test;

/** The CUDA backend's host-side pieces that need no GPU: messages, codes, staging growth, engine names. */
class CudaHostLogicTest {

    @Test
    void badLabelMessageIsExactlyTheOneShapeChecksGivesForTheWholeLabelArray() {
        float[] labels = {0, 2, 1, 7, 3};
        IllegalArgumentException cpu = assertThrows(IllegalArgumentException.class,
                () -> ShapeChecks.labels("softmaxCrossEntropySparse", labels, 5));
        IllegalArgumentException gpu = CudaLosses.badLabel("softmaxCrossEntropySparse", 3, 7f, 5);
        assertEquals(cpu.getMessage(), gpu.getMessage());
        float[] fractional = {1.5f};
        assertEquals(assertThrows(IllegalArgumentException.class, () -> ShapeChecks.labels("op", fractional, 5))
                .getMessage(), CudaLosses.badLabel("op", 0, 1.5f, 5).getMessage());
        assertThrows(IllegalStateException.class, () -> CudaLosses.badLabel("op", 0, 1f, 5));
    }

    @Test
    void outOfMemoryMessageNamesTheLabelTheRequestAndWhatIsFree() {
        CudaDeviceInfo h100 = new CudaDeviceInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 85_045_231_616L, 132, 50L << 20);
        String m = DeviceMemory.outOfMemoryMessage("activations", 1L << 40, 70L << 30, 85_045_231_616L, 3L << 20, h100);
        assertTrue(m.contains("'activations'"), m);
        assertTrue(m.contains("1099511627776 floats (4 TiB)"), m);
        assertTrue(m.contains("70 GiB free of 79.20 GiB"), m);
        assertTrue(m.contains("cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)"), m);
        assertTrue(m.contains("holds 3 MiB"), m);
    }

    @Test
    void byteCountsReadAsPowersOf1024() {
        assertEquals("300 bytes", DeviceMemory.bytes(300));
        assertEquals("1 KiB", DeviceMemory.bytes(1024));
        assertEquals("1.50 GiB", DeviceMemory.bytes(3L << 29));
        assertEquals("4 TiB", DeviceMemory.bytes(4L << 40));
    }

    @Test
    void stagingGrowsToPowersOfTwoFromOneKiloFloatAndChunksAt16MiFloats() {
        assertEquals(1024, PinnedStaging.grownCapacity(0, 1));
        assertEquals(1024, PinnedStaging.grownCapacity(0, 1024));
        assertEquals(2048, PinnedStaging.grownCapacity(1024, 1025));
        assertEquals(2048, PinnedStaging.grownCapacity(2048, 7), "never shrinks");
        assertEquals(PinnedStaging.MAX_CHUNK_FLOATS, PinnedStaging.grownCapacity(0, PinnedStaging.MAX_CHUNK_FLOATS));
        assertEquals(PinnedStaging.MAX_CHUNK_FLOATS, PinnedStaging.chunkSize(100L << 20));
        assertEquals(5, PinnedStaging.chunkSize(5));
    }

    @Test
    void activationCodesFollowTheKernelContract() {
        assertEquals(0, KernelLauncher.code(Activation.RELU));
        assertEquals(1, KernelLauncher.code(Activation.LEAKY_RELU));
        assertEquals(2, KernelLauncher.code(Activation.SIGMOID));
        assertEquals(3, KernelLauncher.code(Activation.TANH));
    }

    @Test
    void enginesParseTheirCommandLineNames() {
        assertEquals(Engine.KERNELS, Engine.parse("kernels"));
        assertEquals(Engine.VENDOR, Engine.parse(" Vendor "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engine.parse("cudnn"));
        assertTrue(e.getMessage().contains("auto, kernels or vendor"), e.getMessage());
        assertEquals(Engine.AUTO, Engine.parse("AUTO"));
        assertEquals(Engine.AUTO, CudaOptions.DEFAULT.engine());
    }

    @Test
    void deviceSummaryNamesArchAndWholeGib() {
        CudaDeviceInfo a100 = new CudaDeviceInfo(1, "NVIDIA A100-SXM4-40GB", 8, 0, 42_505_273_344L, 108, 40L << 20);
        assertEquals("cuda:1 NVIDIA A100-SXM4-40GB (sm_80, 39 GiB)", a100.summary());
        assertEquals("13.0", Availability.versionString(13000));
        assertEquals("12.4", Availability.versionString(12040));
    }

    @Test
    void loadFailuresShrinkToTheMissingLibrary() {
        UnsatisfiedLinkError nested = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver\"\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot "
                + "open shared object file: No such file or directory\n\tat java.base/...");
        assertEquals("libcuda.so.1 not found", LoadFailure.reason(nested));
        NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cudart");
        later.initCause(new UnsatisfiedLinkError("libcublasLt.so.13: cannot open shared object file"));
        assertEquals("libcublasLt.so.13 not found", LoadFailure.reason(later));
        assertEquals("UnsatisfiedLinkError: no jnicudart in java.library.path",
                LoadFailure.reason(new UnsatisfiedLinkError("no jnicudart in java.library.path\nmore")));
    }
}
