package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.io.ModelCheckpoint;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.LearningRateScheduler;
import io.kernelnet.train.Loss;
import io.kernelnet.train.TrainingDivergedException;
import io.kernelnet.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * fit()'s finite check: a step whose loss or gradients are not finite stops training before its update, naming the
 * epoch, the step and the first layer at fault; the parameters and any saved checkpoint stay those of the last
 * good step.
 */
class TrainingDivergenceTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private static final int BATCH = 4;

    private static FitOptions inOrder() {
        return FitOptions.defaults().batchSize(BATCH).shuffle(false).verbose(0);
    }

    /** Four features, eight hidden units, three classes. */
    private static Model classifier(float learningRate) {
        Model m = new Sequential(4).add(new Dense(8, "relu")).add(new Dense(3, "softmax"));
        m.seed(17).compile(new Adam(learningRate), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        m.build(BATCH, new CpuBackend());
        return m;
    }

    private Examples data(int n) {
        return rng.classification(n, Shape.of(4), 3);
    }

    /** As {@link #data}, but example {@code planted} holds 3e38 in every feature (finite, so data checks pass it). */
    private Examples withHugeExample(int n, int planted) {
        float[] x = rng.uniform(n * 4, -1, 1);
        Arrays.fill(x, planted * 4, planted * 4 + 4, 3e38f);
        return Examples.of(x, Shape.of(4), rng.labels(n, 3), Shape.of());
    }

    /** Dense's kernel [4, 8] all ones: a huge example's 4 * 3e38 overflows to Inf. */
    private static float[] onesKernel() {
        float[] ones = new float[4 * 8];
        Arrays.fill(ones, 1f);
        return ones;
    }

    private static void assertAllFinite(Map<String, float[]> parameters) {
        parameters.forEach((name, values) -> {
            for (float v : values) {
                assertTrue(Float.isFinite(v), name + " holds " + v);
            }
        });
    }

    private static void assertSameParameters(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, values) -> assertArrayEquals(values, actual.get(name), name));
    }

    @Test
    void aHugeLearningRateStopsAtTheStepWhoseForwardPassOverflows() {
        // Adam's first step moves every parameter by about lr = 1e30; the second forward pass then multiplies two
        // such numbers in dense_1 (the first layer whose output overflows), so step 2 is the first bad one
        Examples data = data(12);
        try (Model diverging = classifier(1e30f); Model oneStep = classifier(1e30f)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> diverging.fit(data, inOrder().epochs(3)));
            assertEquals(1, e.epoch());
            assertEquals(2, e.step());
            assertEquals("dense_1", e.layer());
            assertTrue(e.getMessage().contains("training diverged at epoch 1, step 2"), e.getMessage());
            assertTrue(e.getMessage().contains("layer dense_1 (Dense): non-finite output"), e.getMessage());
            assertEquals(1, diverging.stepCount(), "the optimizer ran once");

            oneStep.fit(data.range(0, BATCH), inOrder());
            assertAllFinite(diverging.parameters());
            assertSameParameters(oneStep.parameters(), diverging.parameters());
        }
    }

    @Test
    void aPlantedHugeInputNamesTheLayerItOverflowsAndTheStep() {
        // example 9 (step 3 at batch 4, in order) holds 3e38 in every feature: finite, so the data check lets it
        // through, but with all-ones weights dense's output is 4 * 3e38 = Inf
        Examples data = withHugeExample(12, 9);
        float[] ones = onesKernel();
        try (Model poisoned = classifier(0.01f); Model twoSteps = classifier(0.01f)) {
            poisoned.setParameter("dense/kernel", ones);
            twoSteps.setParameter("dense/kernel", ones);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> poisoned.fit(data, inOrder()));
            assertEquals(3, e.step());
            assertEquals("dense", e.layer());
            assertTrue(e.getMessage().contains("epoch 1, step 3"), e.getMessage());

            twoSteps.fit(data.range(0, 2 * BATCH), inOrder());
            assertAllFinite(poisoned.parameters());
            assertSameParameters(twoSteps.parameters(), poisoned.parameters());
        }
    }

    @Test
    void aCheckpointOfTheLastGoodEpochIsNotOverwritten() throws Exception {
        Path file = dir.resolve("model.safetensors");
        List<byte[]> savedAfterEpoch = new ArrayList<>();
        Callback readBack = new Callback() {
            @Override
            public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
                try {
                    savedAfterEpoch.add(Files.readAllBytes(file));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        // epoch 1 trains normally and is saved; epoch 2's learning rate makes its second step overflow
        LearningRateScheduler explode = new LearningRateScheduler((epoch, lr) -> epoch == 1 ? 1e30 : lr);
        try (Model model = classifier(0.01f)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> model.fit(data(12),
                    inOrder().epochs(3).callbacks(explode, new ModelCheckpoint(model, file, "loss", false), readBack)));
            assertEquals(2, e.epoch());
            assertEquals(2, e.step());
            assertEquals(1, savedAfterEpoch.size(), "saved once, after epoch 1");
            assertArrayEquals(savedAfterEpoch.get(0), Files.readAllBytes(file), "the checkpoint of epoch 1 is untouched");
            assertAllFinite(model.parameters());
        }
    }

    @Test
    void aBadStepBeyondAFullRecordOfStepsIsNamedAndNothingAfterItIsApplied() {
        // the device records StepMetrics.SLOTS steps between two reads: the bad step lies after the first full record
        int goodSteps = StepMetrics.SLOTS + 10;
        int examples = BATCH * (StepMetrics.SLOTS + 30);
        Examples data = withHugeExample(examples, BATCH * goodSteps + 1);
        float[] ones = onesKernel();
        try (Model poisoned = classifier(0.01f); Model good = classifier(0.01f)) {
            poisoned.setParameter("dense/kernel", ones);
            good.setParameter("dense/kernel", ones);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> poisoned.fit(data, inOrder()));
            assertEquals(goodSteps + 1, e.step());
            assertEquals("dense", e.layer());
            assertEquals(goodSteps, poisoned.stepCount());

            good.fit(data.range(0, BATCH * goodSteps), inOrder());
            assertSameParameters(good.parameters(), poisoned.parameters());
            assertSameParameters(good.state().optimizerState(), poisoned.state().optimizerState());
        }
    }

    @Test
    void onAGoodRunTheCheckChangesNoNumber() {
        // more steps per epoch than the device's record holds, so that it is read when full as well
        Examples data = data(BATCH * (StepMetrics.SLOTS + 5) + 3);
        try (Model checked = classifier(0.01f); Model unchecked = classifier(0.01f)) {
            History a = checked.fit(data, inOrder().epochs(2));
            History b = unchecked.fit(data, inOrder().epochs(2).checkFinite(false));
            for (String key : List.of("loss", "accuracy")) {
                assertEquals(a.get(key), b.get(key), key);
            }
            assertSameParameters(checked.parameters(), unchecked.parameters());
            assertEquals(checked.stepCount(), unchecked.stepCount());
        }
    }

    @Test
    void theCheckCanBeTurnedOff() {
        try (Model model = classifier(1e30f)) {
            History h = model.fit(data(12), inOrder().epochs(2).checkFinite(false));
            assertEquals(2, h.epochs());
            assertEquals(6, model.stepCount(), "every step ran");
            assertTrue(Double.isNaN(h.last("loss")), "the loss is " + h.last("loss"));
        }
        assertTrue(FitOptions.defaults().checkFinite(), "on by default");
    }
}
