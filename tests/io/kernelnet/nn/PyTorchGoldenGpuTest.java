package io.kernelnet.nn;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.backend.cuda.Engine;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The seeds' mlp and cnn against PyTorch's golden files ({@link PyTorchGolden}) on the CUDA backend with our
 * kernels (FP32, no TF32: the bounds are FP32 rounding). Skips without a usable GPU.
 */
@Tag("gpu")
class PyTorchGoldenGpuTest {
    private static final Availability CUDA = CudaRuntime.availability();

    @BeforeEach
    void needsAUsableGpu() {
        assumeTrue(CUDA.usable(), CUDA.reason());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "cnn"})
    void ourModelComputesWhatPyTorchComputesOnCuda(String model) throws Exception {
        try (CudaBackend cuda = new CudaBackend(0, CudaOptions.DEFAULT.withEngine(Engine.KERNELS))) {
            PyTorchGolden.load(model).check(cuda, UnaryOperator.identity());
        }
    }
}
