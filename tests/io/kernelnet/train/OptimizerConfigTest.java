package io.kernelnet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Refusals;
import io.kernelnet.testing.TestRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What each optimizer constructor sets, written out as Keras and PyTorch document it: the defaults, AdamW's
 * decoupled decay and its checkpoint name, SGD's state slots; and that the settings reach the backend's update.
 */
class OptimizerConfigTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static Map<String, Object> adamConfig(String name, float lr, float weightDecay) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("learning_rate", (double) lr);
        c.put("beta_1", (double) 0.9f);
        c.put("beta_2", (double) 0.999f);
        c.put("epsilon", (double) 1e-7f);
        c.put("epsilon_placement", "keras");
        c.put("weight_decay", (double) weightDecay);
        return c;
    }

    @Test
    void adamHasKerasDefaults() {
        assertEquals(adamConfig("adam", 0.001f, 0), new Adam().config());
        assertEquals(adamConfig("adam", 0.03f, 0), new Adam(0.03f).config());
        assertSame(AdamEpsilon.KERAS, new Adam().epsilonPlacement());
        assertEquals(List.of("m", "v"), new Adam().stateNames());
        assertSame(AdamEpsilon.PYTORCH, new Adam().epsilonPlacement(AdamEpsilon.PYTORCH).epsilonPlacement());
        Refusals.assertRefused(() -> new Adam().epsilonPlacement(null), "adam: epsilon placement is null");
    }

    /** AdamW is its own name in a checkpoint, so that it resumes with decoupled decay, not Adam's L2 decay. */
    @Test
    void adamWDecaysDecoupledAndSavesItsOwnName() {
        Adam adamW = Adam.adamW(0.002f);
        assertEquals("adamw", adamW.name());
        assertEquals(adamConfig("adamw", 0.002f, 0.01f), adamW.config());
        Optimizer rebuilt = Optimizer.fromConfig(adamW.config());
        assertEquals("adamw", rebuilt.name());
        assertEquals(adamW.config(), rebuilt.config());
        assertEquals("adam", Optimizer.fromConfig(new Adam(0.002f, 0.9f, 0.999f, 1e-7f, 0.01f, false).config()).name());

        AdamSettings decoupled = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0.01f, true);
        AdamSettings l2 = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0.01f, false);
        float[] p0 = rng.normal(9);
        float[] g = rng.normal(9);
        float[] viaOptimizer = adamStep(adamW, p0, g, null);
        assertArrayEquals(adamStep(null, p0, g, decoupled), viaOptimizer, "Adam.adamW updates with decoupled decay");
        assertFalse(Arrays.equals(adamStep(null, p0, g, l2), viaOptimizer), "which L2 decay would not give");
    }

    /** One step from p0 with gradient g at lr 0.002, through {@code optimizer} or else the backend directly. */
    private static float[] adamStep(Adam optimizer, float[] p0, float[] g, AdamSettings settings) {
        CpuBackend cpu = new CpuBackend();
        Tensor p = Tensor.wrap(p0.clone(), Shape.of(p0.length));
        Tensor grad = Tensor.wrap(g.clone(), Shape.of(g.length));
        Tensor m = Tensor.zeros(Shape.of(p0.length));
        Tensor v = Tensor.zeros(Shape.of(p0.length));
        Tensor step = Tensor.wrap(StepScalars.of(0.002f, 1, 0), StepScalars.shape());
        if (optimizer != null) {
            optimizer.update(cpu, p, grad, new Tensor[] {m, v}, step, null);
        } else {
            cpu.adamUpdate(p, grad, m, v, step, settings);
        }
        return p.toArray();
    }

    @Test
    void sgdHasKerasDefaultsAndAVelocityOnlyWithMomentum() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", "sgd");
        c.put("learning_rate", (double) 0.01f);
        c.put("momentum", 0.0);
        c.put("nesterov", false);
        c.put("weight_decay", 0.0);
        c.put("decoupled_weight_decay", false);
        assertEquals(c, new Sgd().config());
        assertEquals(List.of(), new Sgd().stateNames());
        assertEquals(List.of("velocity"), new Sgd(0.1f, 0.5f, false, 0).stateNames());
        assertEquals(true, new Sgd(0.1f, 0.5f, false, 0.1f, true).config().get("decoupled_weight_decay"));
    }

    /** Without momentum there is no state to pass: the update takes none and steps p -= lr * g. */
    @Test
    void sgdWithoutMomentumUpdatesWithoutState() {
        Tensor p = Tensor.wrap(new float[] {1, -2}, Shape.of(2));
        Tensor g = Tensor.wrap(new float[] {0.5f, 4}, Shape.of(2));
        new Sgd(0.25f).update(new CpuBackend(), p, g, new Tensor[0],
                Tensor.wrap(StepScalars.of(0.25f, 1, 0), StepScalars.shape()), null);
        assertArrayEquals(new float[] {0.875f, -3}, p.toArray());
    }
}
