package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Examples;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Sgd;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One training step (forward, loss, backward) of a network whose conv and dense layers run their activations in
 * the fused epilogue (the dense ones in the GEMM's), on the CUDA backend with our kernels, against the same step on the CPU reference and against
 * the same network written with separate Activation layers (unfused) on CUDA. Batch 64 on 28x28 inputs, so that
 * the first conv's bias gradient (32 channels of 64 x 676) runs split over sample ranges. Bounds: the loss within
 * 1e-5 relative; each gradient within 1e-4 of its largest magnitude (FP32 sums over the batch in another order;
 * a lost split or sample changes a bias gradient by far more). Skips without a usable GPU.
 */
@Tag("gpu")
class FusedEpilogueGpuTest {
    private static final Availability CUDA = CudaRuntime.availability();
    private static final int BATCH = 64;
    private static final double LOSS_RELATIVE = 1e-5;
    private static final double GRADIENT_RELATIVE = 1e-4;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private CudaBackend cuda;

    @BeforeEach
    void needsAUsableGpu() {
        GpuAssumptions.usableDevice();
        cuda = new CudaBackend(0, CudaOptions.DEFAULT.withEngine(Engine.KERNELS));
    }

    @AfterEach
    void close() {
        if (cuda != null) {
            cuda.close();
        }
    }

    private static Model fused() {
        return new Sequential(1, 28, 28)
                .add(new Conv2D(32, 3).activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(16, 3).activation("tanh").useBias(false))
                .add(new Flatten())
                .add(new Dense(32, "leaky_relu"))
                .add(new Dropout(0.2))
                .add(new Dense(16, "sigmoid"))
                .add(new Dense(10, "softmax"));
    }

    private static Model unfused() {
        return new Sequential(1, 28, 28)
                .add(new Conv2D(32, 3).named("conv2d"))
                .add(new ActivationLayer("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(16, 3).useBias(false).named("conv2d_1"))
                .add(new ActivationLayer("tanh"))
                .add(new Flatten())
                .add(new Dense(32).named("dense"))
                .add(new ActivationLayer("leaky_relu"))
                .add(new Dropout(0.2))
                .add(new Dense(16).named("dense_1"))
                .add(new ActivationLayer("sigmoid"))
                .add(new Dense(10, "softmax").named("dense_2"));
    }

    /** Counts the fused ops the model calls, so that the test knows the fused path ran on the device. */
    private static final class CountingBackend extends ForwardingBackend {
        int fusedForwards;
        int fusedBackwards;

        CountingBackend(Backend delegate) {
            super(delegate);
        }

        @Override
        public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
            fusedForwards += act == null ? 0 : 1;
            super.gemmBiasActivation(c, a, b, bias, act, alpha);
        }

        @Override
        public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
            fusedForwards++;
            super.biasActivationForward(y, z, bias, act, alpha);
        }

        @Override
        public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
            fusedBackwards++;
            super.biasActivationBackward(dz, dBias, dy, y, act, alpha);
        }
    }

    private record Step(float loss, Map<String, float[]> gradients) {
    }

    private static Step step(Supplier<Model> architecture, Backend backend, Examples data) {
        try (Model m = architecture.get()) {
            m.compile(new Sgd(0.1f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            m.build(BATCH, backend);
            float loss = m.lossAndGradients(data, BATCH, 12345);
            return new Step(loss, m.gradients());
        }
    }

    @Test
    void aFusedTrainingStepOnCudaMatchesTheCpuAndTheUnfusedNetwork() {
        Examples data = Examples.of(rng.uniform(BATCH * 28 * 28, 0, 1), Shape.of(1, 28, 28), rng.labels(BATCH, 10),
                Shape.of());
        CountingBackend counted = new CountingBackend(cuda);
        long launches = cuda.counters().kernelLaunches();
        Step gpu = step(FusedEpilogueGpuTest::fused, counted, data);
        assertEquals(4, counted.fusedForwards, "the four layers' epilogues: two convs, two in the dense GEMMs");
        assertEquals(4, counted.fusedBackwards, "the four layers' epilogues, backward");
        assertTrue(cuda.counters().kernelLaunches() > launches, "the step ran kernels on the GPU");
        Step cpu = step(FusedEpilogueGpuTest::fused, new CpuBackend(), data);
        Step gpuUnfused = step(FusedEpilogueGpuTest::unfused, cuda, data);
        assertClose("cuda fused vs cpu", cpu, gpu);
        assertClose("cuda fused vs cuda unfused", gpuUnfused, gpu);
    }

    private static void assertClose(String what, Step reference, Step actual) {
        assertTrue(Math.abs(actual.loss() - reference.loss()) <= LOSS_RELATIVE * Math.abs(reference.loss()),
                what + ": loss " + actual.loss() + " vs " + reference.loss());
        assertEquals(reference.gradients().keySet(), actual.gradients().keySet(), what);
        reference.gradients().forEach((name, r) -> {
            float[] a = actual.gradients().get(name);
            double largest = 0;
            double worst = 0;
            for (int i = 0; i < r.length; i++) {
                largest = Math.max(largest, Math.abs(r[i]));
                worst = Math.max(worst, Math.abs(a[i] - r[i]));
            }
            assertTrue(largest > 0, what + ": " + name + " is all zeros, a weak test");
            assertTrue(worst <= GRADIENT_RELATIVE * largest, String.format("%s: %s differs by %.3g, bound %.3g",
                    what, name, worst, GRADIENT_RELATIVE * largest));
        });
    }
}
