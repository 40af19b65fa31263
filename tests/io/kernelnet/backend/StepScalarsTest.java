package io.kernelnet.backend;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The step scalars' layout: counts of any size survive the float tensor, read back from a view at an offset. */
class StepScalarsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @Test
    void everyNonNegativeCountReadsBackWhole() {
        long[] counts = {0, 1, (1L << 21) - 1, 1L << 21, (1L << 42) + 5, Long.MAX_VALUE, rng.random().nextLong() >>> 1};
        for (long step : counts) {
            long position = Long.MAX_VALUE - step;
            float[] values = StepScalars.of(0.125f, step, position);
            for (int w = 0; w < 3; w++) {
                for (int at : new int[] {StepScalars.STEP + w, StepScalars.GENERATOR_OFFSET + w}) {
                    float word = values[at];
                    assertTrue(word >= 0 && word < (1 << 21) && word == Math.rint(word), "word " + at + ": " + word);
                }
            }
            Tensor t = OffsetTensors.of(values, StepScalars.shape());
            assertEquals(step, StepScalars.step(t));
            assertEquals(position, StepScalars.generatorOffset(t));
            assertEquals(0.125f, StepScalars.learningRate(t));
        }
    }

    @Test
    void negativeCountsAreRefused() {
        assertRefusedWith("step scalars: step and generator offset must be >= 0, got -1 and 0",
                () -> StepScalars.of(0.1f, -1, 0));
        assertRefusedWith("step scalars: step and generator offset must be >= 0, got 1 and -5",
                () -> StepScalars.of(0.1f, 1, -5));
    }
}
