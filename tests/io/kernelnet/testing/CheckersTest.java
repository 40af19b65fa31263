package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.FileFormatException;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opentest4j.AssertionFailedError;

/** The checkers themselves: a comparison helper with a bug would pass everything. */
class CheckersTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @Test
    void assertWithinHoldsEachElementToItsOwnTolerance() {
        float[] expected = {1, -2, 1e-6f};
        Compare.assertWithin("inside", expected, new float[] {1.5f, -2, 1.9e-6f}, new double[] {0.5, 0, 1e-6});
        assertThrows(AssertionFailedError.class, () -> Compare.assertWithin("one too far", expected,
                new float[] {1, -2, 2.1e-6f}, new double[] {0.5, 0.5, 1e-6}));
        assertThrows(AssertionFailedError.class, () -> Compare.assertWithin("NaN", expected,
                new float[] {Float.NaN, -2, 1e-6f}, new double[] {1e30, 1, 1}));
        assertThrows(AssertionFailedError.class, () -> Compare.assertWithin("NaN tolerance", expected,
                new float[] {1, -2, 1e-6f}, new double[] {Double.NaN, 1, 1}));
    }

    @Test
    void gradientCheckerAcceptsTheRightGradientOfACubic() {
        float[] x = rng.uniform(17, -2, 2);
        float[] w = rng.uniform(17, -1, 1);
        float[] grad = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            grad[i] = 3 * x[i] * x[i] * w[i];
        }
        GradientChecker.check("cubic", x, grad, () -> cubicLoss(x, w));
    }

    @Test
    void gradientCheckerRejectsAGradientOffByTenPercentInOnePlace() {
        float[] x = rng.uniform(17, 1, 2);
        float[] w = rng.uniform(17, 1, 2);
        float[] grad = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            grad[i] = 3 * x[i] * x[i] * w[i];
        }
        grad[rng.nextInt(grad.length)] *= 1.1f;
        assertThrows(AssertionFailedError.class, () -> GradientChecker.check("cubic", x, grad, () -> cubicLoss(x, w)));
    }

    @Test
    void gradientCheckerLooksAgainWithSmallerStepsPastAKinkButNotPastAWrongValue() {
        double step = GradientChecker.DEFAULT_STEP;
        float[] x = rng.uniform(16, 1, 2);
        float[] w = rng.uniform(16, 1, 2);
        float[] grad = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            grad[i] = w[i];
        }
        // |x| at x = step/2: the full step crosses the kink at 0 (central slope w/2), step/4 does not
        int k = rng.nextInt(x.length);
        x[k] = (float) (step / 2);
        GradientChecker.check("abs beside a kink", x, grad, () -> absLoss(x, w));
        // closer than step/16: the slope of the side away from the kink is accepted, a subgradient of neither side
        // is not
        for (int side : new int[] {1, -1}) {
            x[k] = (float) (side * step / 40);
            grad[k] = side * w[k];
            GradientChecker.check("abs at a kink", x, grad, () -> absLoss(x, w));
            grad[k] = 0;
            assertThrows(AssertionFailedError.class, () -> GradientChecker.check("abs at a kink", x, grad,
                    () -> absLoss(x, w)));
        }
        grad[k] = w[k];
        // a wrong value where the loss is smooth fails at every step
        x[k] = 1.5f;
        grad[k] *= 1.1f;
        assertThrows(AssertionFailedError.class, () -> GradientChecker.check("abs", x, grad, () -> absLoss(x, w)));
    }

    /** The report says how many values are wrong and shows the first five; the input is left as it was. */
    @Test
    void gradientCheckerReportsTheWrongValuesAndRestoresTheInput() {
        float[] x = rng.uniform(8, 1, 2);
        float[] w = rng.uniform(8, 1, 2);
        float[] before = x.clone();
        float[] grad = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            grad[i] = 3 * x[i] * x[i] * w[i] * (i == 1 ? 1 : 2);
        }
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> GradientChecker.check("cubic", x, grad, () -> cubicLoss(x, w)));
        assertTrue(e.getMessage().startsWith("cubic: 7 of 8 gradient values differ from finite differences"),
                e.getMessage());
        assertTrue(e.getMessage().contains("[0] analytic") && e.getMessage().contains("[5] analytic")
                && !e.getMessage().contains("[1] analytic") && !e.getMessage().contains("[6] analytic"), e.getMessage());
        assertTrue(e.getMessage().contains("at step 0.0006)"), e.getMessage());
        assertEquals(Arrays.toString(before), Arrays.toString(x), "input restored");
        e = assertThrows(AssertionFailedError.class,
                () -> GradientChecker.check("short", x, new float[3], () -> cubicLoss(x, w)));
        assertTrue(e.getMessage().startsWith("short: 8 inputs but 3 gradient values"), e.getMessage());
    }

    /** Agreement is relative to the larger of the two magnitudes, and absolute below 1. */
    @Test
    void gradientCheckerToleranceIsRelativeAboveOneAndAbsoluteBelow() {
        float[] x = {0.5f};
        // loss 1000 x: slope 1000; 1% of it is 10
        GradientChecker.check("large", x, new float[] {1009}, () -> 1000.0 * x[0]);
        assertThrows(AssertionFailedError.class, () -> GradientChecker.check("large", x, new float[] {1011},
                () -> 1000.0 * x[0]));
        // loss 0.001 x: slope 0.001, and 0.01 of absolute tolerance
        GradientChecker.check("small", x, new float[] {0.0105f}, () -> 0.001 * x[0]);
        assertThrows(AssertionFailedError.class, () -> GradientChecker.check("small", x, new float[] {0.0115f},
                () -> 0.001 * x[0]));
        // exactly at the tolerance agrees: slope 2 (exact in binary at x 0.5, step 0.25), 4 is off by half of 4
        GradientChecker.check("at the bound", x, new float[] {4}, () -> 2.0 * x[0], 0.25, 0.5);
    }

    /** An overflowing backward pass fails: infinity is within any relative tolerance of every slope. */
    @Test
    void gradientCheckerRejectsAnInfiniteOrNaNGradient() {
        float[] x = {0.5f};
        for (float g : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
            assertThrows(AssertionFailedError.class, () -> GradientChecker.check("overflow", x, new float[] {g},
                    () -> 2.0 * x[0]));
        }
    }

    /**
     * A steep smooth loss, exp(120 x) at 0: the one-sided slopes are 4% off even at step/16, the central one 26% at
     * the full step and 1.5% at a quarter of it; at step/16 it is within 0.1%, so the right gradient passes.
     */
    @Test
    void gradientCheckerAcceptsASteepLossByTheCentralDifferenceAtTheSmallestStep() {
        float[] x = {0};
        GradientChecker.check("steep", x, new float[] {120}, () -> Math.exp(120.0 * x[0]));
    }

    private static double absLoss(float[] x, float[] w) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) w[i] * Math.abs(x[i]);
        }
        return s;
    }

    private static double cubicLoss(float[] x, float[] w) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (double) w[i] * x[i] * x[i] * x[i];
        }
        return s;
    }

    @Test
    void compareAcceptsValuesWithinTolerance() {
        float[] a = rng.uniform(100, -1, 1);
        float[] b = a.clone();
        b[3] += 0.5e-6f;
        Compare.assertClose("within", a, b, 1e-6, 0);
    }

    @Test
    void compareWithinHoldsEachElementToItsOwnBound() {
        float[] actual = rng.uniform(10, -1, 1);
        double[] expected = new double[10];
        for (int i = 0; i < 10; i++) {
            expected[i] = actual[i];
        }
        expected[4] += 1e-3;
        double[] bounds = new double[10];
        bounds[4] = 2e-3;
        Compare.assertWithin("own bounds", expected, actual, i -> bounds[i], "per element");
        bounds[4] = 5e-4;
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Compare.assertWithin("own bounds", expected, actual, i -> bounds[i], "per element"));
        assertTrue(e.getMessage().contains("1 of 10 values differ (per element") && e.getMessage().contains("[4]")
                && e.getMessage().contains("bound 0.000500"), e.getMessage());
    }

    @Test
    void compareRejectsOneWrongValueAndNaN() {
        float[] a = rng.uniform(100, -1, 1);
        float[] b = a.clone();
        b[rng.nextInt(100)] += 1e-3f;
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose("off", a, b, 1e-5, 1e-5));
        float[] c = a.clone();
        c[rng.nextInt(100)] = Float.NaN;
        assertThrows(AssertionFailedError.class, () -> Compare.assertClose("nan", a, c, 1, 1));
    }

    @Test
    void formatFuzzingAcceptsAResultOrARefusalNamingTheFile() throws Exception {
        assertEquals(Optional.of(7), FormatFuzzing.readsOrRefuses("f.idx", () -> 7));
        assertEquals(Optional.empty(), FormatFuzzing.readsOrRefuses("f.idx",
                () -> { throw new FileFormatException("f.idx", 3, "f.idx: byte 3: bad"); }));
    }

    @Test
    void formatFuzzingLetsEveryOtherExceptionThrough() {
        assertThrows(NullPointerException.class, () -> FormatFuzzing.readsOrRefuses("f.idx",
                () -> { throw new NullPointerException(); }));
        assertThrows(IllegalArgumentException.class, () -> FormatFuzzing.readsOrRefuses("f.idx",
                () -> { throw new IllegalArgumentException("f.idx: not a format refusal"); }));
        assertThrows(AssertionFailedError.class, () -> FormatFuzzing.readsOrRefuses("f.idx",
                () -> { throw new FileFormatException("other.idx", 0, "other.idx: byte 0: bad"); }));
    }
}
