package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A model's checkpoint: round trip, rebuilt architecture, refusal of another architecture or a damaged file. */
class CheckpointsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private Examples digits(int n) {
        return Examples.of(rng.uniform(n * 784, 0, 1), Shape.of(1, 28, 28), rng.labels(n, 10), Shape.of());
    }

    @Test
    void aSavedModelReloadsWithTheSameWeightsCountersAndResults() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        Examples data = digits(20);
        Model.Evaluation before;
        try (Model m = MnistModels.mlp()) {
            m.seed(rng.seed()).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            m.fit(data, FitOptions.defaults().epochs(2).batchSize(8).verbose(0));
            before = m.evaluate(data, 8);
            Checkpoints.save(m, file);
            try (Model loaded = Checkpoints.load(file, new CpuBackend(), 5)) {
                assertEquals(2, loaded.epochsDone());
                assertEquals(m.stepCount(), loaded.stepCount());
                assertEquals(m.generatorOffset(), loaded.generatorOffset());
                assertArrayEquals(m.parameters().get("dense/kernel"), loaded.parameters().get("dense/kernel"));
                Model.Evaluation after = loaded.evaluate(data, 5);
                assertEquals(before.accuracy(), after.accuracy(), 0);
                assertEquals(before.loss(), after.loss(), 1e-6);
                assertEquals("adam", loaded.optimizer().name());
            }
        }
        assertEquals(1, Files.list(dir).count(), "no temporary file left beside the checkpoint");
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsRefusedNamingTheTensor() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model mlp = MnistModels.mlp(); Model cnn = MnistModels.cnn()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
            cnn.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            cnn.build(2, new CpuBackend());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.loadWeights(cnn, file));
            assertTrue(e.getMessage().contains("conv2d/kernel") || e.getMessage().contains("dense/kernel"), e.getMessage());
        }
    }

    @Test
    void aTruncatedCheckpointIsRefused() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        Exception e = assertThrows(Exception.class, () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
}
