package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LossesTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();
    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);
    private static final double LN5 = Math.log(5);

    /**
     * Row 0 = [0, ln2, 0]: exp sums to 4, softmax [1/4, 1/2, 1/4]. Row 1 = [ln3, 0, 0]: exp sums to 5, softmax
     * [3/5, 1/5, 1/5].
     */
    private static final float[] LOGITS = {0, (float) LN2, 0, (float) LN3, 0, 0};
    private static final double[] PROBS = {0.25, 0.5, 0.25, 0.6, 0.2, 0.2};
    private static final Shape SHAPE = Shape.of(2, 3);

    @Test
    void mseOfKnownVectorsAtAnOffset() {
        Shape shape = Shape.of(2, 2);
        Tensor dPred = OffsetTensors.output(shape);
        // differences [1, 0, -2, 0]: squares sum to 5 over 4 elements
        float loss = cpu.mseLoss(dPred, OffsetTensors.of(new float[] {1, 2, 3, 4}, shape),
                OffsetTensors.of(new float[] {0, 2, 5, 4}, shape));
        assertEquals(1.25f, loss);
        assertArrayEquals(new float[] {0.5f, 0, -1, 0}, dPred.toArray());
        OffsetTensors.assertNothingWrittenOutside("dPred", dPred);
    }

    @Test
    void mseGradientPassesTheGradientCheck() {
        Shape shape = Shape.of(3, 5);
        float[] pred = rng.normal(15);
        Tensor predT = Tensor.wrap(pred, shape);
        Tensor target = Tensor.wrap(rng.normal(15), shape);
        Tensor dPred = Tensor.zeros(shape);
        cpu.mseLoss(dPred, predT, target);
        float[] analytic = dPred.toArray();
        GradientChecker.check("mse dPred", pred, analytic, () -> cpu.mseLoss(dPred, predT, target));
    }

    /** Labels [1, 0]: losses ln4 - ln2 = ln2 and ln5 - ln3; dLogits = (probs - onehot) / 2. */
    @Test
    void sparseCrossEntropyOfKnownLogitsAtAnOffset() {
        Tensor probs = OffsetTensors.output(SHAPE);
        Tensor dLogits = OffsetTensors.output(SHAPE);
        float loss = cpu.softmaxCrossEntropySparse(probs, dLogits, OffsetTensors.of(LOGITS, SHAPE),
                OffsetTensors.of(new float[] {1, 0}, Shape.of(2)));
        assertEquals((LN2 + LN5 - LN3) / 2, loss, 1e-6);
        Compare.assertClose("probs", PROBS, probs.toArray(), 1e-7, 1e-6);
        Compare.assertClose("dLogits", new double[] {0.125, -0.25, 0.125, -0.2, 0.1, 0.1}, dLogits.toArray(), 1e-7, 1e-6);
        OffsetTensors.assertNothingWrittenOutside("probs", probs);
        OffsetTensors.assertNothingWrittenOutside("dLogits", dLogits);
    }

    /** The same rows against one-hot targets give the sparse results; probability targets the hand values. */
    @Test
    void crossEntropyWithOneHotAndProbabilityTargetsAtAnOffset() {
        Tensor probs = OffsetTensors.output(SHAPE);
        Tensor dLogits = OffsetTensors.output(SHAPE);
        Tensor logits = OffsetTensors.of(LOGITS, SHAPE);
        float loss = cpu.softmaxCrossEntropy(probs, dLogits, logits, OffsetTensors.of(new float[] {0, 1, 0, 1, 0, 0},
                SHAPE));
        assertEquals((LN2 + LN5 - LN3) / 2, loss, 1e-6);
        Compare.assertClose("probs", PROBS, probs.toArray(), 1e-7, 1e-6);
        Compare.assertClose("dLogits", new double[] {0.125, -0.25, 0.125, -0.2, 0.1, 0.1}, dLogits.toArray(), 1e-7, 1e-6);

        // row 0 targets [1/2, 1/2, 0]: (ln4 - 0)/2 + (ln4 - ln2)/2 = 1.5 ln2; row 1 [0, 1/2, 1/2]: ln5
        loss = cpu.softmaxCrossEntropy(probs, dLogits, logits, OffsetTensors.of(new float[] {0.5f, 0.5f, 0, 0, 0.5f,
                0.5f}, SHAPE));
        assertEquals((1.5 * LN2 + LN5) / 2, loss, 1e-6);
        Compare.assertClose("dLogits", new double[] {-0.125, 0, 0.125, 0.3, -0.15, -0.15}, dLogits.toArray(), 1e-7, 1e-6);
        OffsetTensors.assertNothingWrittenOutside("probs", probs);
        OffsetTensors.assertNothingWrittenOutside("dLogits", dLogits);
    }

    /** exp(1000) overflows float and double: only the max-subtracted log-sum-exp gets these right. */
    @Test
    void crossEntropyIsStableForLargeLogits() {
        Shape shape = Shape.of(2, 2);
        Tensor probs = Tensor.zeros(shape);
        Tensor dLogits = Tensor.zeros(shape);
        Tensor logits = Tensor.wrap(new float[] {1000, 0, -1000, 0}, shape);
        // row 0 pays 1000 for label 1; row 1 pays log(1 + e^-1000) ~ 0 for label 1
        float loss = cpu.softmaxCrossEntropySparse(probs, dLogits, logits, Tensor.wrap(new float[] {1, 1}, Shape.of(2)));
        assertEquals(500f, loss);
        assertArrayEquals(new float[] {1, 0, 0, 1}, probs.toArray());
        assertArrayEquals(new float[] {0.5f, -0.5f, 0, 0}, dLogits.toArray());
        loss = cpu.softmaxCrossEntropy(probs, dLogits, logits, Tensor.wrap(new float[] {0, 1, 0, 1}, shape));
        assertEquals(500f, loss);
    }

    @Test
    void sparseCrossEntropyPassesTheGradientCheck() {
        checkLogitGradient("sparse cross-entropy dLogits", Tensor.wrap(rng.labels(4, 5), Shape.of(4)),
                cpu::softmaxCrossEntropySparse);
    }

    /** Random non-negative targets that do not sum to 1 exercise the sum(t) factor of the gradient. */
    @Test
    void crossEntropyPassesTheGradientCheckForUnnormalizedTargets() {
        checkLogitGradient("cross-entropy dLogits", Tensor.wrap(rng.uniform(20, 0, 1), Shape.of(4, 5)),
                cpu::softmaxCrossEntropy);
    }

    /** A softmax cross-entropy op of the backend: probs and dLogits written, the loss returned. */
    private interface CrossEntropyOp {
        float run(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets);
    }

    /** The op's dLogits on random [4, 5] logits against central differences of its loss. */
    private void checkLogitGradient(String name, Tensor targets, CrossEntropyOp op) {
        Shape shape = Shape.of(4, 5);
        float[] z = rng.uniform(20, -3, 3);
        Tensor logits = Tensor.wrap(z, shape);
        Tensor probs = Tensor.zeros(shape);
        Tensor dLogits = Tensor.zeros(shape);
        op.run(probs, dLogits, logits, targets);
        float[] analytic = dLogits.toArray();
        GradientChecker.check(name, z, analytic, () -> op.run(probs, dLogits, logits, targets));
    }

    @Test
    void badLabelsAreRefusedNamingOpRowAndValue() {
        Tensor logits = Tensor.wrap(LOGITS.clone(), SHAPE);
        Tensor out = Tensor.zeros(SHAPE);
        assertRefusedWith("softmaxCrossEntropySparse: label 3.0 at row 1 is not a class index in [0, 3)",
                () -> cpu.softmaxCrossEntropySparse(out, out, logits, Tensor.wrap(new float[] {0, 3}, Shape.of(2))));
        assertRefusedWith("softmaxCrossEntropySparse: label -1.0 at row 0 is not a class index in [0, 3)",
                () -> cpu.softmaxCrossEntropySparse(out, out, logits, Tensor.wrap(new float[] {-1, 0}, Shape.of(2))));
        assertRefusedWith("softmaxCrossEntropySparse: label 1.5 at row 1 is not a class index in [0, 3)",
                () -> cpu.softmaxCrossEntropySparse(out, out, logits, Tensor.wrap(new float[] {0, 1.5f}, Shape.of(2))));
        assertRefusedWith("softmaxCrossEntropySparse: label NaN at row 0 is not a class index in [0, 3)",
                () -> cpu.softmaxCrossEntropySparse(out, out, logits, Tensor.wrap(new float[] {Float.NaN, 0},
                        Shape.of(2))));
        // the row is counted within the view, not the storage
        assertRefusedWith("softmaxCrossEntropySparse: label 7.0 at row 1 is not a class index in [0, 3)",
                () -> cpu.softmaxCrossEntropySparse(out, out, logits, OffsetTensors.of(new float[] {2, 7}, Shape.of(2))));
    }

    @Test
    void mismatchedShapesAreRefusedNamingOpAndShapes() {
        Tensor logits = Tensor.zeros(SHAPE);
        Tensor wrong = Tensor.zeros(Shape.of(3, 2));
        Tensor labels = Tensor.zeros(Shape.of(2));
        assertRefusedWith("softmaxCrossEntropySparse: labels has shape [3], expected [2]",
                () -> cpu.softmaxCrossEntropySparse(logits, logits, logits, Tensor.zeros(Shape.of(3))));
        assertRefusedWith("softmaxCrossEntropySparse: probs [3, 2] and logits [2, 3] must have the same shape",
                () -> cpu.softmaxCrossEntropySparse(wrong, logits, logits, labels));
        assertRefusedWith("softmaxCrossEntropySparse: dLogits [3, 2] and logits [2, 3] must have the same shape",
                () -> cpu.softmaxCrossEntropySparse(logits, wrong, logits, labels));
        assertRefusedWith("softmaxCrossEntropySparse: input must have rank 2, got shape [6]",
                () -> cpu.softmaxCrossEntropySparse(logits, logits, Tensor.zeros(Shape.of(6)), labels));
        assertRefusedWith("softmaxCrossEntropy: targets [3, 2] and logits [2, 3] must have the same shape",
                () -> cpu.softmaxCrossEntropy(logits, logits, logits, wrong));
        assertRefusedWith("mseLoss: pred [2, 3] and target [3, 2] must have the same shape",
                () -> cpu.mseLoss(logits, logits, wrong));
        assertRefusedWith("mseLoss: dPred [3, 2] and pred [2, 3] must have the same shape",
                () -> cpu.mseLoss(wrong, logits, logits));
    }
}
