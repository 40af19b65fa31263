package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.Model;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
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
