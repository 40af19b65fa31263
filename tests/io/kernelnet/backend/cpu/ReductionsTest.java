package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ReductionsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();

    @Test
    void sumAndMeanOfKnownValuesAtAnOffset() {
        Tensor x = OffsetTensors.of(new float[] {1, 2, 3, 4.5f}, Shape.of(2, 2));
        assertEquals(10.5f, cpu.sum(x));
        assertEquals(2.625f, cpu.mean(x));
    }

    /** Summed in float, 2^24 + 1 rounds back to 2^24 four times over; in double the four ones survive. */
    @Test
    void sumAndMeanAccumulateInDouble() {
        Tensor x = Tensor.wrap(new float[] {16777216, 1, 1, 1, 1}, Shape.of(5));
        assertEquals(16777220f, cpu.sum(x));
        assertEquals(16777220f / 5, cpu.mean(x));
    }

    @Test
    void meanOfNothingIsNaNAsInPyTorch() {
        assertEquals(0f, cpu.sum(Tensor.zeros(Shape.of(0, 3))));
        assertEquals(Float.NaN, cpu.mean(Tensor.zeros(Shape.of(0, 3))));
    }

    @Test
    void argmaxTakesTheFirstMaximumAtAnOffset() {
        Tensor x = OffsetTensors.of(new float[] {1, 3, 3, 5, -1, 2, -4, -2, -3}, Shape.of(3, 3));
        Tensor indices = OffsetTensors.output(Shape.of(3));
        cpu.argmax(indices, x);
        assertArrayEquals(new float[] {1, 0, 1}, indices.toArray());
        OffsetTensors.assertNothingWrittenOutside("indices", indices);
    }

    @Test
    void argmaxFindsAPlantedMaximumInRandomRows() {
        int rows = 20;
        int k = 13;
        float[] x = rng.uniform(rows * k, -1, 1);
        float[] expected = new float[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = rng.nextInt(k);
            x[r * k + (int) expected[r]] = 2; // above every other value of the row
        }
        Tensor indices = Tensor.zeros(Shape.of(rows));
        cpu.argmax(indices, Tensor.wrap(x, Shape.of(rows, k)));
        assertArrayEquals(expected, indices.toArray());
    }

    /** Row argmaxes of the scores are [1, 0, 2, 0] (the last row ties and takes its first maximum). */
    private static final float[] SCORES = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0, 0, 1, 0.4f, 0.4f, 0.2f};

    @Test
    void accuracyAgainstClassIndicesAtAnOffset() {
        Tensor scores = OffsetTensors.of(SCORES, Shape.of(4, 3));
        assertEquals(3, cpu.accuracyCount(scores, OffsetTensors.of(new float[] {1, 0, 2, 1}, Shape.of(4))));
        assertEquals(0, cpu.accuracyCount(scores, OffsetTensors.of(new float[] {0, 2, 1, 1}, Shape.of(4))));
        assertEquals(4, cpu.accuracyCount(scores, OffsetTensors.of(new float[] {1, 0, 2, 0}, Shape.of(4))));
    }

    @Test
    void accuracyAgainstOneHotAndProbabilityRowsAtAnOffset() {
        Tensor scores = OffsetTensors.of(SCORES, Shape.of(4, 3));
        Tensor oneHot = OffsetTensors.of(new float[] {0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0}, Shape.of(4, 3));
        assertEquals(2, cpu.accuracyCount(scores, oneHot));
        // smoothed rows whose argmaxes are [1, 0, 2, 1]
        Tensor soft = OffsetTensors.of(new float[] {0.1f, 0.8f, 0.1f, 0.6f, 0.2f, 0.2f, 0.3f, 0.3f, 0.4f, 0.1f, 0.5f,
                0.4f}, Shape.of(4, 3));
        assertEquals(3, cpu.accuracyCount(scores, soft));
    }

    @Test
    void mismatchedShapesAndBadLabelsAreRefused() {
        Tensor scores = Tensor.wrap(SCORES.clone(), Shape.of(4, 3));
        assertRefusedWith("argmax: indices has shape [3], expected [4]",
                () -> cpu.argmax(Tensor.zeros(Shape.of(3)), scores));
        assertRefusedWith("argmax: input must have rank 2, got shape [12]",
                () -> cpu.argmax(Tensor.zeros(Shape.of(12)), Tensor.zeros(Shape.of(12))));
        assertRefusedWith("accuracyCount: labels has shape [5], expected [4]",
                () -> cpu.accuracyCount(scores, Tensor.zeros(Shape.of(5))));
        assertRefusedWith("accuracyCount: labels [4, 4] and scores [4, 3] must have the same shape",
                () -> cpu.accuracyCount(scores, Tensor.zeros(Shape.of(4, 4))));
        assertRefusedWith("accuracyCount: label 3.0 at row 2 is not a class index in [0, 3)",
                () -> cpu.accuracyCount(scores, Tensor.wrap(new float[] {0, 1, 3, 0}, Shape.of(4))));
        assertRefusedWith("accuracyCount: labels is null", () -> cpu.accuracyCount(scores, null));
    }
}
