package io.kernelnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.Json;
import io.kernelnet.io.ModelCheckpoint;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class CallbacksTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private Examples data(int n) {
        return rng.classification(n, Shape.of(3), 2);
    }

    private static Model model(float lr) {
        Model m = new Sequential(3).add(new Dense(2, "softmax"));
        m.compile(new Adam(lr), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    @Test
    void earlyStoppingStopsWhenTheMonitorDoesNotImprove() {
        EarlyStopping stop = new EarlyStopping("loss", 0, 1, false);
        try (Model m = model(0f)) { // lr 0: the loss never improves after the first epoch
            History h = m.fit(data(16), FitOptions.defaults().epochs(10).batchSize(16).shuffle(false).verbose(0).callbacks(stop));
            assertEquals(3, h.epochs(), "epoch 1 sets the best, epochs 2 and 3 do not improve, patience 1");
            assertEquals(2, stop.stoppedEpoch());
        }
    }

    @Test
    void earlyStoppingRestoresTheBestWeights() {
        // "lr" only grows (the scheduler doubles it), so epoch 1 is the best and training stops after epoch 2
        EarlyStopping stop = new EarlyStopping("lr", 0, 0, true);
        Map<Integer, Map<String, float[]>> weights = new java.util.HashMap<>();
        Callback capture = new Callback() {
            @Override
            public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
                weights.put(epoch, run.parameters());
            }
        };
        try (Model m = model(0.1f)) {
            m.fit(data(16), FitOptions.defaults().epochs(5).batchSize(4).verbose(0)
                    .callbacks(new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : 2 * lr), capture, stop));
            assertEquals(1, stop.stoppedEpoch());
            float[] best = weights.get(0).get("dense/kernel");
            assertFalse(java.util.Arrays.equals(best, weights.get(1).get("dense/kernel")), "epoch 2 changed the weights");
            assertTrue(java.util.Arrays.equals(best, m.parameters().get("dense/kernel")), "the best epoch's weights are back");
        }
    }

    @Test
    void learningRateSchedulerSetsTheRateEachEpoch() {
        try (Model m = model(0.1f)) {
            History h = m.fit(data(8), FitOptions.defaults().epochs(4).batchSize(8).verbose(0)
                    .callbacks(LearningRateScheduler.stepDecay(0.5, 2)));
            List<Double> lr = h.get("lr");
            assertEquals(0.1, lr.get(0), 1e-7);
            assertEquals(0.1, lr.get(1), 1e-7);
            assertEquals(0.05, lr.get(2), 1e-7);
            assertEquals(0.05, lr.get(3), 1e-7);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void epochLogWritesCsvAndJson() throws Exception {
        Path csv = dir.resolve("log.csv");
        Path json = dir.resolve("log.json");
        try (Model m = model(0.01f)) {
            m.fit(data(8), FitOptions.defaults().epochs(3).batchSize(4).verbose(0).callbacks(new EpochLog(csv), new EpochLog(json)));
        }
        List<String> lines = Files.readAllLines(csv);
        assertEquals(4, lines.size());
        assertTrue(lines.get(0).startsWith("epoch,loss,accuracy"), lines.get(0));
        assertTrue(lines.get(3).startsWith("3,"), lines.get(3));
        List<Object> rows = (List<Object>) Json.parse(Files.readString(json));
        assertEquals(3, rows.size());
        assertEquals(2, ((Number) ((Map<String, Object>) rows.get(1)).get("epoch")).intValue());
        assertFalse(Files.exists(dir.resolve("log.json.tmp")));
    }

    @Test
    void modelCheckpointSavesOnlyImprovements() throws Exception {
        Path file = dir.resolve("best.safetensors");
        Callback removeAfterFirstEpoch = new Callback() {
            @Override
            public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
                if (epoch == 0) {
                    file.toFile().delete();
                }
            }
        };
        try (Model m = model(0.1f)) { // constant lr: only the first epoch improves on "lr"
            m.fit(data(8), FitOptions.defaults().epochs(3).batchSize(8).verbose(0)
                    .callbacks(new ModelCheckpoint(m, file, "lr", true), removeAfterFirstEpoch));
            assertFalse(Files.exists(file), "epochs 2 and 3 did not improve and wrote nothing");
            m.fit(data(8), FitOptions.defaults().epochs(3).batchSize(8).verbose(0)
                    .callbacks(new LearningRateScheduler((epoch, lr) -> lr / 2), new ModelCheckpoint(m, file, "lr", true),
                            removeAfterFirstEpoch));
            assertTrue(Files.exists(file), "a falling lr improves every epoch, so epochs after the first wrote again");
            file.toFile().delete();
            ModelCheckpoint reused = new ModelCheckpoint(m, file, "lr", true);
            m.fit(data(8), FitOptions.defaults().epochs(1).batchSize(8).verbose(0).callbacks(reused));
            file.toFile().delete();
            m.fit(data(8), FitOptions.defaults().epochs(1).batchSize(8).verbose(0).callbacks(reused));
            assertTrue(Files.exists(file), "each fit starts without a best: its first epoch is saved");
        }
    }

    @Test
    void progressPrintsOnePlainLinePerEpochWhenNotATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Model m = model(0.01f)) {
            m.progressOutput(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            m.fit(data(8), FitOptions.defaults().epochs(2).batchSize(4));
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, bytes.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].startsWith("Epoch 1/2 2/2 - ") && lines[0].contains("loss: ") && lines[0].contains("accuracy: "), lines[0]);
        assertFalse(lines[0].contains("\r"));
    }
}
