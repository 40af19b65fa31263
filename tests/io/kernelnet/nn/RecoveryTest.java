package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.FailingBackend;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After any failure the model and the backend close without a further exception, and a new backend and model in
 * the same JVM train normally; a failed allocation at build reports the memory plan it was for.
 */
class RecoveryTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final FitOptions TWO_EPOCHS = FitOptions.defaults().epochs(2).batchSize(8).verbose(0);

    static Model classifier() {
        Model m = new Sequential(6).add(new Dense(16, "relu")).add(new Dropout(0.2)).add(new Dense(3, "softmax"));
        m.compile(new Adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    /** 64 random examples labelled by which of their first three features is largest: learnable, so loss falls. */
    private Examples data() {
        float[] x = rng.uniform(64 * 6, -1, 1);
        return Examples.of(x, Shape.of(6), largestOfFirstThree(x, 64, 6), Shape.of());
    }

    static float[] largestOfFirstThree(float[] x, int n, int features) {
        float[] labels = new float[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 3; j++) {
                if (x[i * features + j] > x[i * features + best]) {
                    best = j;
                }
            }
            labels[i] = best;
        }
        return labels;
    }

    @Test
    void aFailureMidStepLeavesABackendThatClosesAndANewOneTrains() {
        Examples data = data();
        // fail in the middle of the third step (a step here runs 12 of the counted ops)
        FailingBackend failing = FailingBackend.atOpCall(new FastCpuBackend(), 31);
        Model broken = classifier();
        broken.build(8, failing);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> broken.fit(data, TWO_EPOCHS));
        assertTrue(e.getMessage().contains("injected failure at op call 31"), e.getMessage());
        assertEquals(2, broken.stepCount(), "two whole steps before the failure");
        assertDoesNotThrow(broken::close);
        assertDoesNotThrow(failing::close);

        try (Backend fresh = new FastCpuBackend(); Model model = classifier()) {
            model.build(8, fresh);
            History h = model.fit(data, TWO_EPOCHS);
            assertEquals(2, h.epochs());
            assertTrue(Double.isFinite(h.last("loss")) && h.last("loss") < h.get("loss").get(0), "loss " + h.get("loss"));
        }
    }

    @Test
    void aFailedAllocationAtBuildReportsTheMemoryPlan() {
        try (Backend cpu = new FastCpuBackend(); Model model = classifier()) {
            Backend failing = FailingBackend.onAllocate(cpu);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.build(32, failing));
            String m = e.getMessage();
            assertTrue(m.startsWith("build: could not allocate the memory plan of "), m);
            assertTrue(m.contains("for batch 32 on cpu: injected failure: allocate 'model'"), m);
            assertTrue(m.contains("dense/kernel") && m.contains("dense_1/bias/grad") && m.contains("total activations"),
                    "the plan, buffer by buffer: " + m);
            assertTrue(m.lines().reduce((a, b) -> b).orElseThrow().startsWith("total "), "ends with the plan's total: " + m);
            assertTrue(!model.isBuilt(), "nothing half-built");

            try (Model again = classifier()) {
                again.build(32, cpu);
                assertTrue(Double.isFinite(again.evaluate(data(), 32).loss()), "the backend itself still works");
            }
        }
    }
}
