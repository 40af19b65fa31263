package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seeds' mlp and cnn against PyTorch's golden files ({@link PyTorchGolden}: logits, loss, every gradient, 3 Adam
 * and 3 SGD steps) on the CPU reference and the fast CPU backend. Then the check itself: a loss summed over the
 * batch instead of averaged, a Dense kernel taken in PyTorch's [units, inputs] layout, and Adam without its bias
 * correction each make it fail, where they should and only there.
 */
class PyTorchGoldenTest {
    static Stream<Arguments> modelsAndBackends() {
        Map<String, Supplier<Backend>> backends = new LinkedHashMap<>();
        backends.put("cpu-reference", CpuBackend::new);
        backends.put("cpu", FastCpuBackend::new);
        return Stream.of("mlp", "cnn").flatMap(model -> backends.entrySet().stream()
                .map(b -> Arguments.of(model, b.getKey(), b.getValue())));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("modelsAndBackends")
    void ourModelComputesWhatPyTorchComputes(String model, String backendName, Supplier<Backend> backend)
            throws Exception {
        try (Backend b = backend.get()) {
            PyTorchGolden.load(model).check(b, UnaryOperator.identity());
        }
    }

    /** The mistake a backend that sums the batch's loss instead of averaging it makes: loss and gradient n times. */
    @Test
    void aLossSummedOverTheBatchFailsTheLossAndEveryGradientAndStep() throws Exception {
        PyTorchGolden golden = PyTorchGolden.load("mlp");
        Backend summing = new ForwardingBackend(new CpuBackend()) {
            @Override
            public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                                  Tensor labels) {
                super.softmaxCrossEntropySparse(loss, probs, dLogits, logits, labels);
                for (int n = 1; n < golden.n; n *= 2) { // the golden batch is 16, a power of two: exact
                    add(loss, loss, loss);
                    add(dLogits, dLogits, dLogits);
                }
            }
        };
        String failures = failures(golden, summing, UnaryOperator.identity());
        assertTrue(failures.contains("loss:") && failures.contains("gradient of dense/kernel")
                && failures.contains("dense_1/bias after 3 SGD steps"), failures);
        assertFalse(failures.contains("logits:"), failures);
    }

    /** PyTorch's Linear weight is [units, inputs]; read as our kernel [inputs, units] without the transpose. */
    @Test
    void aDenseKernelReadWithoutTheTransposeFailsTheLogits() throws Exception {
        PyTorchGolden golden = PyTorchGolden.load("mlp");
        String failures = failures(golden, new CpuBackend(), initial -> {
            Map<String, float[]> changed = new LinkedHashMap<>(initial);
            float[] kernel = initial.get("dense/kernel"); // [784, 128]
            float[] untransposed = new float[kernel.length];
            for (int i = 0; i < 784; i++) {
                for (int j = 0; j < 128; j++) {
                    untransposed[j * 784 + i] = kernel[i * 128 + j];
                }
            }
            changed.put("dense/kernel", untransposed);
            return changed;
        });
        assertTrue(failures.contains("logits:") && failures.contains("loss:"), failures);
    }

    /** Adam at a step so late that both bias corrections are 1: what dropping them does. */
    @Test
    void anAdamWithoutBiasCorrectionFailsTheAdamStepsOnly() throws Exception {
        PyTorchGolden golden = PyTorchGolden.load("mlp");
        Backend uncorrected = new ForwardingBackend(new CpuBackend()) {
            @Override
            public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                   AdamSettings settings) {
                Tensor late = Tensor.wrap(StepScalars.of(StepScalars.learningRate(step), 1_000_000, 0),
                        StepScalars.shape());
                super.adamUpdate(param, grad, m, v, late, halt, settings);
            }
        };
        String failures = failures(golden, uncorrected, UnaryOperator.identity());
        assertTrue(failures.contains("dense/kernel after 3 Adam steps"), failures);
        assertFalse(failures.contains("gradient of") || failures.contains("SGD") || failures.contains("logits:"),
                failures);
    }

    /** [2, 3, 4] from [1, 3, 1] (a conv kernel's per-channel allowance, transposed) and [1, 1, 4] (a Dense one's). */
    @Test
    void broadcastIndexFindsTheElementAnAxisOfOneStandsFor() {
        Shape full = Shape.of(2, 3, 4);
        for (int i = 0; i < 24; i++) {
            assertEquals(i / 4 % 3, PyTorchGolden.broadcastIndex(full, Shape.of(1, 3, 1), i));
            assertEquals(i % 4, PyTorchGolden.broadcastIndex(full, Shape.of(1, 1, 4), i));
            assertEquals(i, PyTorchGolden.broadcastIndex(full, full, i));
        }
    }

    private static String failures(PyTorchGolden golden, Backend backend, UnaryOperator<Map<String, float[]>> change) {
        return assertThrows(AssertionError.class, () -> golden.check(backend, change)).getMessage();
    }
}
