package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Dense or Conv2D with its own elementwise activation runs it in its epilogue (no node, no pre-activation
 * buffer): training gives the same bits as the same network written with separate Activation layers, which the
 * model does not fuse, and the memory plan is smaller by exactly the pre-activations and their gradients.
 */
class FusedActivationTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final int BATCH = 6;

    /** Every fusable activation, on conv and dense layers, with and without a bias, a dropout and a softmax. */
    private static Model fused() {
        return new Sequential(2, 8, 7)
                .add(new Conv2D(3, 3).activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(4, 2).activation("tanh").useBias(false))
                .add(new Flatten())
                .add(new Dense(9, "leaky_relu"))
                .add(new Dropout(0.25))
                .add(new Dense(7, "sigmoid"))
                .add(new Dense(3, "softmax"));
    }

    private static Model unfused() {
        return new Sequential(2, 8, 7)
                .add(new Conv2D(3, 3).named("conv2d"))
                .add(new ActivationLayer("relu"))
                .add(new MaxPooling2D(2))
                .add(new Conv2D(4, 2).useBias(false).named("conv2d_1"))
                .add(new ActivationLayer("tanh"))
                .add(new Flatten())
                .add(new Dense(9).named("dense"))
                .add(new ActivationLayer("leaky_relu"))
                .add(new Dropout(0.25))
                .add(new Dense(7).named("dense_1"))
                .add(new ActivationLayer("sigmoid"))
                .add(new Dense(3, "softmax").named("dense_2"));
    }

    private Examples data() {
        return Examples.of(rng.uniform(20 * 2 * 8 * 7, -1, 1), Shape.of(2, 8, 7), rng.labels(20, 3), Shape.of());
    }

    /** planFloats: the planned buffers' sizes summed (totalBytes adds each buffer's alignment padding). */
    private record Run(List<Double> losses, Map<String, float[]> parameters, float[] predictions, long planFloats,
                       List<String> planNames) {
    }

    private static Run train(Supplier<Model> architecture, Backend backend, Examples data) {
        try (Model m = architecture.get()) {
            m.compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            m.build(BATCH, backend);
            History h = m.fit(data, FitOptions.defaults().epochs(2).batchSize(BATCH).verbose(0));
            List<String> names = m.memoryPlan().entries().stream().map(MemoryPlan.Entry::name)
                    .collect(Collectors.toList());
            long floats = m.memoryPlan().entries().stream().mapToLong(e -> e.shape().size()).sum();
            return new Run(h.get("loss"), m.parameters(), m.predict(data), floats, names);
        }
    }

    @Test
    void trainingGivesTheBitsOfTheUnfusedNetworkOnBothCpuBackends() {
        Examples data = data();
        for (Backend backend : new Backend[] {new CpuBackend(), new FastCpuBackend()}) {
            Run fused = train(FusedActivationTest::fused, backend, data);
            Run unfused = train(FusedActivationTest::unfused, backend, data);
            assertEquals(unfused.losses(), fused.losses(), backend.name() + " losses");
            assertEquals(unfused.parameters().keySet(), fused.parameters().keySet());
            unfused.parameters().forEach((name, values) ->
                    assertArrayEquals(values, fused.parameters().get(name), backend.name() + " " + name));
            assertArrayEquals(unfused.predictions(), fused.predictions(), backend.name() + " predictions");
        }
    }

    /** Per example: the pre-activations of the four fused layers (3x6x5, 4x2x1, 9, 7) and their gradients. */
    @Test
    void thePreActivationBuffersAreNotPlanned() {
        Examples data = data();
        Run fused = train(FusedActivationTest::fused, new CpuBackend(), data);
        Run unfused = train(FusedActivationTest::unfused, new CpuBackend(), data);
        long preActivations = 3 * 6 * 5 + 4 * 2 * 1 + 9 + 7;
        assertEquals(2L * preActivations * BATCH, unfused.planFloats() - fused.planFloats(),
                "output and gradient of each fused layer's pre-activation");
        assertTrue(fused.planNames().contains("conv2d/output") && fused.planNames().contains("dense_1/output/grad"),
                "the layer's output is the activated one: " + fused.planNames());
        assertTrue(fused.planNames().stream().noneMatch(n -> n.contains("/relu/") || n.contains("/sigmoid/")),
                "no activation nodes: " + fused.planNames());
        assertTrue(fused.planNames().contains("dense_2/softmax/output"), "the softmax stays a node (fused with the loss)");
    }

    @Test
    void theSummaryShowsTheLayersWithTheirActivatedShapesAndTheSmallerPlan() {
        try (Model m = fused(); Model u = unfused()) {
            m.compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            u.compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            m.build(BATCH, new CpuBackend());
            u.build(BATCH, new CpuBackend());
            String s = m.summary();
            assertTrue(s.contains("conv2d (Conv2D)") && s.contains("(None, 3, 6, 5)"), s);
            assertTrue(s.contains("dense_1 (Dense)") && s.contains("(None, 7)"), s);
            // by hand: conv2d 3*2*3*3 + 3, conv2d_1 4*3*2*2, dense 8*9 + 9, dense_1 9*7 + 7, dense_2 7*3 + 3
            assertTrue(s.contains("Total params: 280 (1.1 KiB)"), s);
            // the plan's size as printed, read back: within half a unit of its one decimal
            Matcher planned = Pattern.compile("Planned memory for batch " + BATCH + " on cpu: ([0-9.]+) KiB").matcher(s);
            assertTrue(planned.find(), s);
            assertEquals(m.memoryPlan().totalBytes() / 1024.0, Double.parseDouble(planned.group(1)), 0.0501, s);
            assertTrue(m.memoryPlan().totalBytes() < u.memoryPlan().totalBytes());
        }
    }
}
