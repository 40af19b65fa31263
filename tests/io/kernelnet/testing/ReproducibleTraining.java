package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.Conv2D;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Dropout;
import io.kernelnet.nn.Flatten;
import io.kernelnet.nn.MaxPooling2D;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** A short training run (shuffled, dropout on) whose every loss and final parameter can be compared bit for bit. */
public final class ReproducibleTraining {
    private ReproducibleTraining() {
    }

    /** The epoch losses and the parameters after the last epoch. */
    public record Result(List<Double> losses, Map<String, float[]> parameters) {
    }

    /**
     * A compiled CNN with every kind of layer a training step runs on the CPU backends' parallel paths, large enough
     * at batch 32 that each runs in parallel by default: conv 8x16x16 activations of a batch of 32 are 65,536 floats
     * (elementwise ops from 32,768), the conv filter gradient is summed over 16 chunks of samples, and the dense
     * gemm is above the products' threshold.
     */
    public static Model smallCnn() {
        Model m = new Sequential(1, 16, 16)
                .add(new Conv2D(8, 3).padding("same").activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Flatten())
                .add(new Dropout(0.3))
                .add(new Dense(32, "relu"))
                .add(new Dense(4, "softmax"));
        m.seed(9).compile(new Adam(0.003f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    /** Four batches and a smaller fifth of random [1, 16, 16] images for {@link #smallCnn}, 4 classes. */
    public static Examples smallCnnData(TestRandom rng, int batch) {
        int n = 4 * batch + 7;
        return Examples.of(rng.uniform(n * 256, 0, 1), Shape.of(1, 16, 16), rng.labels(n, 4), Shape.of());
    }

    /** Builds a fresh compiled model on {@code backend}, trains {@code epochs} epochs at {@code batch}, closes it. */
    public static Result run(Supplier<Model> compiledModel, Backend backend, Examples data, int epochs, int batch) {
        try (Model model = compiledModel.get()) {
            model.build(batch, backend);
            History h = model.fit(data, FitOptions.defaults().epochs(epochs).batchSize(batch).shuffleSeed(5).verbose(0));
            return new Result(h.get("loss"), model.parameters());
        }
    }

    /** Every epoch loss and every parameter value bit-identical (NaN compared by bits too). */
    public static void assertBitIdentical(Result expected, Result actual, String what) {
        assertEquals(expected.losses().size(), actual.losses().size(), what + ": epochs");
        for (int e = 0; e < expected.losses().size(); e++) {
            assertEquals(Double.doubleToRawLongBits(expected.losses().get(e)),
                    Double.doubleToRawLongBits(actual.losses().get(e)),
                    what + ": loss of epoch " + (e + 1) + ": " + expected.losses() + " vs " + actual.losses());
        }
        assertEquals(expected.parameters().keySet(), actual.parameters().keySet(), what);
        expected.parameters().forEach((name, values) -> {
            float[] other = actual.parameters().get(name);
            assertEquals(values.length, other.length, what + ": " + name);
            for (int i = 0; i < values.length; i++) {
                int index = i;
                assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(other[i]),
                        () -> what + ": " + name + "[" + index + "]: " + values[index] + " vs " + other[index]);
            }
        });
    }
}
