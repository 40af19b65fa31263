package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.testing.StorageRecorder;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What build lays out for a graph: a buffer per node output unless the node is a view of an input read by it alone,
 * a gradient accumulator only where a gradient arrives from two readers, and the one allocation, freed at close or
 * when the build fails after making it.
 */
class PlannedGraphTest {
    /** Refuses the upload reservation that follows the plan's allocation when asked. */
    private static final class Recording extends StorageRecorder {
        boolean refuseUploadReservation;

        @Override
        public void reserveAsyncUploads(long floats) {
            if (refuseUploadReservation) {
                throw new IllegalStateException("no pinned memory left");
            }
            super.reserveAsyncUploads(floats);
        }
    }

    /** Buffer name → shape, of a model built for batch 2 on the CPU reference. */
    private static Map<String, Shape> buffers(Model m) {
        m.compile(new Adam(), Loss.MSE);
        m.build(2, new CpuBackend());
        return m.memoryPlan().entries().stream().collect(Collectors.toMap(MemoryPlan.Entry::name, MemoryPlan.Entry::shape));
    }

    @Test
    void aFlattenReadOnlyByItsSuccessorIsAViewOfItsInput() {
        try (Model m = new Sequential(1, 4, 4).add(new Conv2D(2, 3)).add(new Flatten()).add(new Dense(3))) {
            Map<String, Shape> b = buffers(m);
            assertEquals(Shape.of(2, 2, 2, 2), b.get("conv2d/output"));
            assertFalse(b.containsKey("flatten/output"), b.keySet().toString());
            assertFalse(b.containsKey("flatten/output/grad"), b.keySet().toString());
        }
        Node in = Node.input(1, 4, 4);
        Node conv = new Conv2D(2, 3).apply(in);
        Node left = new Dense(3).apply(new Flatten().apply(conv));
        Node right = new Dense(3).apply(new Flatten().apply(conv));
        try (Model m = new Model(in, new Add().apply(left, right))) {
            Map<String, Shape> b = buffers(m);
            assertEquals(Shape.of(2, 8), b.get("flatten/output"), "conv2d is read by two: each flatten copies");
            assertEquals(Shape.of(2, 8), b.get("flatten_1/output/grad"));
        }
    }

    @Test
    void onlyAGradientFromTwoReadersGetsAnAccumulatorSizedByTheLargestSuch() {
        Node in = Node.input(6);
        Node wide = new Dense(5).apply(in);
        Node narrow = new Dense(4).apply(in);
        Node out = new Add().apply(new Add().apply(new Dense(3).apply(wide), new Dense(3).apply(wide)),
                new Add().apply(new Dense(3).apply(narrow), new Dense(3).apply(narrow)));
        try (Model m = new Model(in, out)) {
            assertEquals(Shape.of(2, 5), buffers(m).get("gradient accumulator"));
        }
        try (Model m = new Model(in, new Add().apply(new Dense(3).apply(in), new Dense(3).apply(in)))) {
            assertFalse(buffers(m).containsKey("gradient accumulator"), "the input, read twice, needs no gradient");
        }
        try (Model m = new Sequential(6).add(new Dense(5)).add(new Dense(3))) {
            assertFalse(buffers(m).containsKey("gradient accumulator"), "every output read once");
        }
    }

    @Test
    void theAllocationIsFreedAtCloseAndWhenTheBuildFailsAfterMakingIt() {
        try (Recording backend = new Recording()) {
            Model m = new Sequential(4).add(new Dense(2));
            m.compile(new Adam(), Loss.MSE);
            m.build(2, backend);
            Storage plan = backend.storages.get(backend.storages.size() - 1);
            assertFalse(plan.isClosed());
            m.close();
            assertTrue(plan.isClosed(), "close frees the plan");

            backend.refuseUploadReservation = true;
            try (Model failing = new Sequential(4).add(new Dense(2))) {
                failing.compile(new Adam(), Loss.MSE);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.build(2, backend));
                assertTrue(e.getMessage().contains("could not allocate the memory plan")
                        && e.getMessage().contains("no pinned memory left"), e.getMessage());
                assertTrue(backend.storages.get(backend.storages.size() - 1).isClosed(), "a failed build frees it");
            }
        }
    }

    @Test
    void aModelWithoutParametersStillHasTheLossGradientItsLossWrites() {
        Node in = Node.input(3);
        float[] x = {-1, 0, 2, 0.5f, -3, 1};
        float[] y = {0, 1, 1, 0, 0, 1};
        try (Model m = new Model(in, new ActivationLayer("sigmoid").apply(in))) {
            m.compile(new Adam(), Loss.MSE);
            Examples data = Examples.of(x, Shape.of(3), y, Shape.of(3));
            double expected = 0;
            for (int i = 0; i < x.length; i++) {
                double d = 1 / (1 + Math.exp(-x[i])) - y[i];
                expected += d * d / x.length;
            }
            assertEquals(expected, m.evaluate(data, 2).loss(), 1e-6);
            m.fit(data, FitOptions.defaults().epochs(1).batchSize(2).verbose(0));
            assertEquals(expected, m.evaluate(data, 2).loss(), 1e-6, "nothing to train, nothing changed");
        }
    }
}
