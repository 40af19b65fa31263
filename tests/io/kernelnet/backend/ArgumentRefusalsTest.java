package io.kernelnet.backend;

import static io.kernelnet.testing.Refusals.assertRefusedBy;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every backend refuses a call whose tensors do not fit the op, through the public {@link Backend} methods, with
 * an IllegalArgumentException that names the op, the argument and the shapes; and it accepts the call whose sizes
 * fit exactly, so that a check cannot be stricter than the contract either. Each refusal is the only thing wrong
 * with its call, so removing any one check fails a test.
 */
class ArgumentRefusalsTest {
    static Stream<Named<Supplier<Backend>>> backends() {
        return Stream.of(Named.of("cpu-reference", CpuBackend::new), Named.of("cpu", FastCpuBackend::new));
    }

    private static Tensor t(int... dims) {
        return Tensor.zeros(Shape.of(dims));
    }

    private static Tensor step() {
        return Tensor.wrap(StepScalars.of(0.1f, 1, 0), StepScalars.shape());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void transfersAndCopiesStayInsideTheirArrays(Supplier<Backend> backends) {
        Backend b = backends.get();
        Tensor four = t(4);
        assertDoesNotThrow(() -> b.upload(four, new float[6], 2));
        assertRefusedBy("upload", () -> b.upload(four, new float[6], 3), "4 floats from offset 3 of an array of 6");
        assertRefusedBy("upload", () -> b.upload(four, new float[6], -1), "offset -1");
        assertDoesNotThrow(() -> b.download(new float[6], 2, four));
        assertRefusedBy("download", () -> b.download(new float[6], 3, four), "into an array of 6 at offset 3");
        assertRefusedBy("download", () -> b.download(new float[6], -1, four), "at offset -1");
        assertDoesNotThrow(() -> b.copy(t(2, 3), t(6)));
        assertRefusedBy("copy", () -> b.copy(t(2, 3), t(5)), "dst [2, 3] and src [5] must have the same number");
        assertRefusedBy("copy", () -> b.copy(null, t(5)), "dst is null");
        assertRefusedBy("copy", () -> b.copy(t(5), null), "src is null");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aMissingTensorOrArrayIsNamed(Supplier<Backend> backends) {
        Backend b = backends.get();
        assertRefusedBy("upload", () -> b.upload(null, new float[4], 0), "dst is null");
        assertRefusedBy("upload", () -> b.upload(t(4), null, 0), "src is null");
        assertRefusedBy("uploadAsync", () -> b.uploadAsync(t(4), new float[6], 3), "4 floats from offset 3");
        assertRefusedBy("download", () -> b.download(new float[4], 0, null), "src is null");
        assertRefusedBy("download", () -> b.download(null, 0, t(4)), "dst is null");
        assertRefusedBy("fill", () -> b.fill(null, 1), "dst is null");
        assertRefusedBy("activationForward", () -> b.activationForward(null, t(4), Activation.TANH, 0), "y is null");
        assertRefusedBy("softmaxForward", () -> b.softmaxForward(t(2, 3), null, 1), "x is null");
        assertRefusedBy("sum", () -> b.sum(null), "x is null");
        assertRefusedBy("sum", () -> b.sum(null, t(4)), "result is null");
        assertRefusedBy("sum", () -> b.sum(t(1), null), "x is null");
        assertRefusedBy("mean", () -> b.mean(null), "x is null");
        assertRefusedBy("accuracyCount", () -> b.accuracyCount(null, t(2, 3), t(2)), "count is null");
        assertRefusedBy("flagNonFinite", () -> b.flagNonFinite(t(1), null), "x is null");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gradientsHaveTheShapeOfWhatTheyDifferentiate(Supplier<Backend> backends) {
        Backend b = backends.get();
        assertDoesNotThrow(() -> b.activationBackward(t(4), t(4), t(4), null, Activation.RELU, 0));
        assertRefusedBy("activationBackward", () -> b.activationBackward(t(5), t(4), t(4), null, Activation.RELU, 0),
                "dx [5] and dy [4]");
        assertDoesNotThrow(() -> b.dropoutBackward(t(4), t(4), t(4)));
        assertRefusedBy("dropoutBackward", () -> b.dropoutBackward(t(5), t(4), t(4)), "dx [5] and dy [4]");
        assertDoesNotThrow(() -> b.mseLoss(t(2), t(2), t(2)));
        assertRefusedBy("mseLoss", () -> b.mseLoss(t(2), t(2), t(3)), "pred [2] and target [3]");
        assertRefusedBy("mseLoss", () -> b.mseLoss(t(3), t(2), t(2)), "dPred [3] and pred [2]");
        assertRefusedBy("mseLoss", () -> b.mseLoss(t(1), t(2), t(2), t(3)), "pred [2] and target [3]");
        SgdSettings plain = new SgdSettings(0, false, 0, false);
        assertDoesNotThrow(() -> b.sgdUpdate(t(4), t(4), null, step(), t(1), plain));
        assertRefusedBy("sgdUpdate", () -> b.sgdUpdate(t(4), t(4), null, step(), t(2), plain), "halt");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void productsNeedMatchingRanksAndDimensions(Supplier<Backend> backends) {
        Backend b = backends.get();
        // c [2, 3] = a [2, 4] b [4, 3], each operand also transposed
        assertDoesNotThrow(() -> b.gemm(t(2, 3), t(2, 4), false, t(4, 3), false, 1, 0));
        assertDoesNotThrow(() -> b.gemm(t(2, 3), t(4, 2), true, t(3, 4), true, 1, 0));
        assertRefusedBy("gemm", () -> b.gemm(t(1, 2, 3), t(2, 4), false, t(4, 3), false, 1, 0), "c must have rank 2");
        assertRefusedBy("gemm", () -> b.gemm(t(2, 3), t(1, 2, 4), false, t(4, 3), false, 1, 0), "a must have rank 2");
        assertRefusedBy("gemm", () -> b.gemm(t(2, 3), t(2, 4), false, t(12), false, 1, 0), "b must have rank 2");
        assertRefusedBy("gemm", () -> b.gemm(t(2, 3), t(2, 4), true, t(4, 3), false, 1, 0),
                "inner dimensions differ: op(a) is 4x2 (a [2, 4] transposed), op(b) is 4x3 (b [4, 3])");
        assertRefusedBy("gemm", () -> b.gemm(t(2, 3), t(2, 4), false, t(4, 3), true, 1, 0),
                "op(b) is 3x4 (b [4, 3] transposed)");
        assertRefusedBy("gemm", () -> b.gemm(t(3, 3), t(2, 4), false, t(4, 3), false, 1, 0),
                "c has shape [3, 3], expected 2x3");
        assertRefusedBy("gemm", () -> b.gemm(t(2, 2), t(2, 4), false, t(4, 3), false, 1, 0),
                "c has shape [2, 2], expected 2x3");

        assertDoesNotThrow(() -> b.gemmBatched(t(5, 2, 3), t(5, 4, 2), true, t(5, 3, 4), true, 1, 0));
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 3), t(4, 2, 4), false, t(5, 4, 3), false, 1, 0),
                "batch sizes differ: c [5, 2, 3], a [4, 2, 4], b [5, 4, 3]");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 3), t(5, 2, 4), false, t(4, 4, 3), false, 1, 0),
                "batch sizes differ");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(2, 3), t(5, 2, 4), false, t(5, 4, 3), false, 1, 0),
                "c must have rank 3");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 3), t(2, 4), false, t(5, 4, 3), false, 1, 0),
                "a must have rank 3");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 3), t(5, 2, 4), false, t(4, 3), false, 1, 0),
                "b must have rank 3");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 3), t(5, 2, 4), false, t(5, 5, 3), false, 1, 0),
                "inner dimensions differ");
        assertRefusedBy("gemmBatched", () -> b.gemmBatched(t(5, 2, 4), t(5, 2, 4), false, t(5, 4, 3), false, 1, 0),
                "c has shape [5, 2, 4], expected 2x3");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void biasesRunAlongAxisOneAndLeakyReluNeedsASlopeOfZeroOrMore(Supplier<Backend> backends) {
        Backend b = backends.get();
        assertDoesNotThrow(() -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), t(3), Activation.LEAKY_RELU, 0));
        assertDoesNotThrow(() -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), null, Activation.RELU, -1));
        assertRefusedBy("gemmBiasActivation",
                () -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), t(4), Activation.RELU, 0),
                "bias [4] does not match axis 1 of [2, 3]");
        assertRefusedBy("gemmBiasActivation",
                () -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), t(1, 3), Activation.RELU, 0),
                "bias must have rank 1");
        assertRefusedBy("gemmBiasActivation",
                () -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), t(3), Activation.LEAKY_RELU, -0.1f),
                "leaky_relu's slope must be >= 0", "got -0.1");
        assertRefusedBy("gemmBiasActivation",
                () -> b.gemmBiasActivation(t(2, 3), t(2, 4), t(4, 3), t(3), Activation.LEAKY_RELU, Float.NaN),
                "got NaN");
        assertRefusedBy("gemmBiasActivation",
                () -> b.gemmBiasActivation(t(2, 3), t(2, 5), t(4, 3), t(3), Activation.RELU, 0), "inner dimensions");

        assertDoesNotThrow(() -> b.biasAdd(t(2, 3, 4), t(3)));
        assertRefusedBy("biasAdd", () -> b.biasAdd(t(3), t(3)), "y must have rank >= 2 (batch, channels, ...), got [3]");
        assertRefusedBy("biasAdd", () -> b.biasAdd(null, t(3)), "y is null");
        assertRefusedBy("biasGrad", () -> b.biasGrad(t(4), t(2, 3)), "bias [4] does not match axis 1 of [2, 3]");

        assertDoesNotThrow(() -> b.biasActivationForward(t(2, 3), t(2, 3), null, Activation.TANH, 0));
        assertRefusedBy("biasActivationForward",
                () -> b.biasActivationForward(t(2, 3), t(3, 2), t(3), Activation.TANH, 0),
                "y [2, 3] and z [3, 2] must have the same shape");
        assertRefusedBy("biasActivationForward", () -> b.biasActivationForward(t(6), t(6), null, Activation.TANH, 0),
                "y must have rank >= 2 (batch, channels, ...), got [6]");
        assertRefusedBy("biasActivationForward",
                () -> b.biasActivationForward(t(2, 3), t(2, 3), t(2), Activation.TANH, 0), "does not match axis 1");
        assertRefusedBy("biasActivationForward",
                () -> b.biasActivationForward(t(2, 3), t(2, 3), null, Activation.LEAKY_RELU, -1), "slope");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void convolutionsAndPoolingsNeedTheirGeometrysShapes(Supplier<Backend> backends) {
        Backend b = backends.get();
        Conv2dGeometry g = Conv2dGeometry.of(2, 3, 6, 5, 4, 3, 3, Padding.NONE);
        Tensor x = Tensor.zeros(g.inputShape());
        Tensor w = Tensor.zeros(g.weightShape());
        Tensor y = Tensor.zeros(g.outputShape());
        assertDoesNotThrow(() -> b.conv2dForward(y, x, w, g));
        assertRefusedBy("conv2dForward", () -> b.conv2dForward(y, t(2, 3, 6, 6), w, g),
                "input has shape [2, 3, 6, 6], expected [2, 3, 6, 5]");
        assertRefusedBy("conv2dForward", () -> b.conv2dForward(y, x, t(4, 3, 3, 2), g), "weights has shape");
        assertRefusedBy("conv2dForward", () -> b.conv2dForward(t(2, 4, 4, 4), x, w, g), "output has shape");
        assertRefusedBy("conv2dBackwardData", () -> b.conv2dBackwardData(t(2, 3, 5, 5), y, w, g), "input has shape");
        assertRefusedBy("conv2dBackwardFilter", () -> b.conv2dBackwardFilter(t(4, 3, 2, 3), y, x, g),
                "weights has shape");

        Pool2dGeometry p = new Pool2dGeometry(2, 3, 6, 4, 2, 2, 2, 2, Padding.NONE);
        Tensor px = Tensor.zeros(p.inputShape());
        Tensor py = Tensor.zeros(p.outputShape());
        Tensor argmax = Tensor.zeros(p.outputShape());
        assertDoesNotThrow(() -> b.maxPool2dForward(py, argmax, px, p));
        assertRefusedBy("maxPool2dForward", () -> b.maxPool2dForward(py, argmax, t(2, 3, 4, 6), p),
                "input has shape [2, 3, 4, 6]");
        assertRefusedBy("maxPool2dForward", () -> b.maxPool2dForward(t(2, 3, 2, 3), argmax, px, p), "output has shape");
        assertRefusedBy("maxPool2dForward", () -> b.maxPool2dForward(py, t(2, 3, 2, 3), px, p), "argmax has shape");
        Tensor dx = Tensor.zeros(p.inputShape());
        assertRefusedBy("maxPool2dBackward", () -> b.maxPool2dBackward(dx, py, px, py, t(6), p), "argmax has shape");
        assertRefusedBy("maxPool2dBackward", () -> b.maxPool2dBackward(dx, py, t(2, 3, 6, 5), py, argmax, p),
                "x has shape");
        assertRefusedBy("maxPool2dBackward", () -> b.maxPool2dBackward(dx, py, px, t(2, 3, 3, 3), argmax, p),
                "y has shape");
        assertRefusedBy("avgPool2dBackward", () -> b.avgPool2dBackward(t(2, 3, 6, 5), py, p), "input has shape");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxesNeedAnAxisOfTheTensorThatIsNotEmpty(Supplier<Backend> backends) {
        Backend b = backends.get();
        assertDoesNotThrow(() -> b.softmaxForward(t(2, 3, 4), t(2, 3, 4), 2));
        assertDoesNotThrow(() -> b.softmaxForward(t(0, 0), t(0, 0), 1));
        assertRefusedBy("softmaxForward", () -> b.softmaxForward(t(2, 3, 4), t(2, 3, 4), 3),
                "axis 3 is not an axis of x [2, 3, 4] (0 to 2)");
        assertRefusedBy("softmaxForward", () -> b.softmaxForward(t(2, 3), t(2, 3), -1), "axis -1 is not an axis");
        assertRefusedBy("logSoftmaxForward", () -> b.logSoftmaxForward(t(2, 0, 3), t(2, 0, 3), 1),
                "axis 1 of x [2, 0, 3] is empty");
        assertRefusedBy("softmaxForward", () -> b.softmaxForward(t(2, 4), t(2, 3), 1), "must have the same shape");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void lossesNeedClassIndicesAndOneElementResults(Supplier<Backend> backends) {
        Backend b = backends.get();
        Tensor logits = t(2, 3);
        assertDoesNotThrow(() -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 3), logits, Tensor.wrap(new float[] {2, 0},
                Shape.of(2))));
        assertRefusedBy("softmaxCrossEntropySparse", () -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 3), logits,
                Tensor.wrap(new float[] {0, 3}, Shape.of(2))), "label 3.0 at row 1 is not a class index in [0, 3)");
        assertRefusedBy("softmaxCrossEntropySparse", () -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 3), logits,
                Tensor.wrap(new float[] {-1, 0}, Shape.of(2))), "label -1.0 at row 0");
        assertRefusedBy("softmaxCrossEntropySparse", () -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 3), logits,
                Tensor.wrap(new float[] {0, 1.5f}, Shape.of(2))), "label 1.5 at row 1");
        assertRefusedBy("softmaxCrossEntropySparse",
                () -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 3), logits, t(3)), "labels has shape [3], expected [2]");
        assertRefusedBy("softmaxCrossEntropySparse",
                () -> b.softmaxCrossEntropySparse(t(3, 2), t(2, 3), logits, t(2)), "probs [3, 2] and logits [2, 3]");
        assertRefusedBy("softmaxCrossEntropySparse",
                () -> b.softmaxCrossEntropySparse(t(2, 3), t(2, 2), logits, t(2)), "dLogits [2, 2] and logits");
        assertRefusedBy("softmaxCrossEntropySparse",
                () -> b.softmaxCrossEntropySparse(t(2, 0), t(2, 0), t(2, 0), t(2)), "rows of [2, 0] are empty");
        assertRefusedBy("softmaxCrossEntropySparse",
                () -> b.softmaxCrossEntropySparse(t(2), t(2, 3), logits, t(2), t(2)), "loss", "one element");
        assertRefusedBy("softmaxCrossEntropy", () -> b.softmaxCrossEntropy(t(2, 3), t(2, 3), logits, t(2)),
                "targets [2] and logits [2, 3]");
        assertRefusedBy("mseLoss", () -> b.mseLoss(t(1, 1, 2), t(2), t(2), t(2)),
                "loss 'zeros' must hold one element, has shape [1, 1, 2]");
        assertDoesNotThrow(() -> b.mseLoss(t(1, 1, 1), t(2), t(2), t(2)));
        assertRefusedBy("sum", () -> b.sum(t(2), t(4)), "result", "must hold one element");
        assertRefusedBy("accuracyCount", () -> b.accuracyCount(t(2, 3), t(2, 4)), "labels [2, 4] and scores [2, 3]");
        assertRefusedBy("accuracyCount", () -> b.accuracyCount(t(2, 3), t(3)), "labels has shape [3], expected [2]");
        assertRefusedBy("accuracyCount", () -> b.accuracyCount(t(2, 3), null), "labels is null");
        assertDoesNotThrow(() -> b.accuracyCount(t(2, 3), t(2, 3)));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void updatesNeedStateLikeTheParametersAndTheStepScalars(Supplier<Backend> backends) {
        Backend b = backends.get();
        SgdSettings momentum = new SgdSettings(0.9f, false, 0, false);
        SgdSettings plain = new SgdSettings(0, false, 0, false);
        assertDoesNotThrow(() -> b.sgdUpdate(t(4), t(2, 2), null, step(), plain));
        assertRefusedBy("sgdUpdate", () -> b.sgdUpdate(t(4), t(4), null, step(), momentum),
                "velocity is null but momentum is 0.9");
        assertRefusedBy("sgdUpdate", () -> b.sgdUpdate(t(4), t(4), t(5), step(), momentum),
                "param [4] and velocity [5] must have the same number of elements");
        assertRefusedBy("sgdUpdate", () -> b.sgdUpdate(t(4), t(3), null, step(), plain), "param [4] and grad [3]");
        assertRefusedBy("sgdUpdate", () -> b.sgdUpdate(t(4), t(4), null, t(4), plain), "step has shape [4]");
        AdamSettings adam = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0, false);
        assertDoesNotThrow(() -> b.adamUpdate(t(4), t(4), t(4), t(2, 2), step(), adam));
        assertRefusedBy("adamUpdate", () -> b.adamUpdate(t(4), t(5), t(4), t(4), step(), adam), "param [4] and grad [5]");
        assertRefusedBy("adamUpdate", () -> b.adamUpdate(t(4), t(4), t(5), t(4), step(), adam), "param [4] and m [5]");
        assertRefusedBy("adamUpdate", () -> b.adamUpdate(t(4), t(4), t(4), t(5), step(), adam), "param [4] and v [5]");
        assertRefusedBy("adamUpdate", () -> b.adamUpdate(t(4), t(4), t(4), t(4), t(3), adam), "step has shape [3]");
        assertRefusedBy("adamUpdate", () -> b.adamUpdate(t(4), t(4), t(4), t(4), step(), t(2), adam), "halt");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void dropoutRatesLieInZeroToOne(Supplier<Backend> backends) {
        Backend b = backends.get();
        assertDoesNotThrow(() -> b.dropoutForward(t(4), t(4), t(4), step(), 0, 1, 0));
        assertRefusedBy("dropoutForward", () -> b.dropoutForward(t(4), t(4), t(4), step(), 1, 1, 0),
                "rate must be in [0, 1), got 1.0");
        assertRefusedBy("dropoutForward", () -> b.dropoutForward(t(4), t(4), t(4), step(), -0.1f, 1, 0), "got -0.1");
        assertRefusedBy("dropoutForward", () -> b.dropoutForward(t(4), t(4), t(4), step(), Float.NaN, 1, 0), "got NaN");
    }
}
