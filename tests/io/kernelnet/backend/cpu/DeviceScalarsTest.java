package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ops a training step uses so that it never waits for the device: each loss, sum and accuracy count written
 * into a one-element tensor is the float its returning twin returns, bit for bit; the halt flag is sticky, and a
 * set flag makes both optimizers write nothing.
 */
class DeviceScalarsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();

    private static float valueOf(Tensor scalar) {
        OffsetTensors.assertNothingWrittenOutside("scalar output", scalar);
        return scalar.toArray()[0];
    }

    @Test
    void eachLossIntoATensorIsTheReturnedLoss() {
        int n = 9;
        int k = 5;
        Shape s = Shape.of(n, k);
        Tensor logits = OffsetTensors.of(rng.uniform(n * k, -3, 3), s);
        Tensor labels = OffsetTensors.of(rng.labels(n, k), Shape.of(n));
        Tensor targets = OffsetTensors.of(rng.uniform(n * k, 0.1f, 1), s);
        Tensor loss = OffsetTensors.output(Shape.of(1));

        float expected = cpu.softmaxCrossEntropySparse(Tensor.zeros(s), Tensor.zeros(s), logits, labels);
        cpu.softmaxCrossEntropySparse(loss, Tensor.zeros(s), Tensor.zeros(s), logits, labels);
        assertEquals(expected, valueOf(loss));

        expected = cpu.softmaxCrossEntropy(Tensor.zeros(s), Tensor.zeros(s), logits, targets);
        cpu.softmaxCrossEntropy(loss, Tensor.zeros(s), Tensor.zeros(s), logits, targets);
        assertEquals(expected, valueOf(loss));

        expected = cpu.mseLoss(Tensor.zeros(s), logits, targets);
        cpu.mseLoss(loss, Tensor.zeros(s), logits, targets);
        assertEquals(expected, valueOf(loss));
    }

    @Test
    void sumAndAccuracyIntoATensorAreTheReturnedValues() {
        Tensor x = OffsetTensors.of(rng.uniform(1001, -1, 1), Shape.of(1001));
        Tensor out = OffsetTensors.output(Shape.of(1));
        cpu.sum(out, x);
        assertEquals(cpu.sum(x), valueOf(out));

        Tensor scores = OffsetTensors.of(rng.uniform(40 * 3, -1, 1), Shape.of(40, 3));
        Tensor labels = OffsetTensors.of(rng.labels(40, 3), Shape.of(40));
        cpu.accuracyCount(out, scores, labels);
        assertEquals((float) cpu.accuracyCount(scores, labels), valueOf(out));

        cpu.sum(out, Tensor.zeros(Shape.of(0)));
        assertEquals(0f, valueOf(out));
    }

    @Test
    void aScalarOutputOfMoreThanOneElementIsRefusedNamingTheOp() {
        Tensor two = Tensor.zeros(Shape.of(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.sum(two, Tensor.zeros(Shape.of(3))));
        assertTrue(e.getMessage().startsWith("sum: result"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.flagNonFinite(two, Tensor.zeros(Shape.of(3))));
        assertTrue(e.getMessage().startsWith("flagNonFinite: halt"), e.getMessage());
    }

    @Test
    void theHaltFlagIsSetByANaNOrAnInfinityAndStaysSet() {
        Tensor halt = OffsetTensors.of(new float[] {0}, Shape.of(1));
        float[] x = rng.uniform(300, -1, 1);
        cpu.flagNonFinite(halt, Tensor.wrap(x, Shape.of(300)));
        assertEquals(0f, valueOf(halt), "all finite");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] planted = x.clone();
            planted[rng.nextInt(300)] = bad;
            Tensor flag = OffsetTensors.of(new float[] {0}, Shape.of(1));
            cpu.flagNonFinite(flag, Tensor.wrap(planted, Shape.of(300)));
            assertEquals(1f, valueOf(flag), "one " + bad);
            cpu.flagNonFinite(flag, Tensor.wrap(x, Shape.of(300)));
            assertEquals(1f, valueOf(flag), "still set after a finite tensor");
        }
    }

    @Test
    void aSetHaltFlagMakesBothOptimizersWriteNothingAndAClearOneChangesNothing() {
        int n = 37;
        float[] p0 = rng.uniform(n, -1, 1);
        float[] g = rng.uniform(n, -1, 1);
        float[] m0 = rng.uniform(n, -0.1f, 0.1f);
        float[] v0 = rng.uniform(n, 0, 0.01f);
        AdamSettings adam = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0, false);
        SgdSettings sgd = new SgdSettings(0.9f, true, 0, false);
        Tensor step = Tensor.wrap(StepScalars.of(1e-2f, 3, 0), StepScalars.shape());
        Shape s = Shape.of(n);

        Tensor p = Tensor.wrap(p0.clone(), s);
        Tensor m = Tensor.wrap(m0.clone(), s);
        Tensor v = Tensor.wrap(v0.clone(), s);
        Tensor halt = OffsetTensors.of(new float[] {1}, Shape.of(1));
        cpu.adamUpdate(p, Tensor.wrap(g, s), m, v, step, halt, adam);
        cpu.sgdUpdate(p, Tensor.wrap(g, s), v, step, halt, sgd);
        assertArrayEquals(p0, p.toArray());
        assertArrayEquals(m0, m.toArray());
        assertArrayEquals(v0, v.toArray());

        Tensor clear = OffsetTensors.of(new float[] {0}, Shape.of(1));
        Tensor pUnguarded = Tensor.wrap(p0.clone(), s);
        Tensor mUnguarded = Tensor.wrap(m0.clone(), s);
        Tensor vUnguarded = Tensor.wrap(v0.clone(), s);
        cpu.adamUpdate(p, Tensor.wrap(g, s), m, v, step, clear, adam);
        cpu.sgdUpdate(p, Tensor.wrap(g, s), v, step, clear, sgd);
        cpu.adamUpdate(pUnguarded, Tensor.wrap(g, s), mUnguarded, vUnguarded, step, adam);
        cpu.sgdUpdate(pUnguarded, Tensor.wrap(g, s), vUnguarded, step, sgd);
        assertArrayEquals(pUnguarded.toArray(), p.toArray());
        assertArrayEquals(mUnguarded.toArray(), m.toArray());
        assertArrayEquals(vUnguarded.toArray(), v.toArray());
    }
}
