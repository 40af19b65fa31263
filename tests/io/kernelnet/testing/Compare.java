package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.IntToDoubleFunction;

/**
 * Elementwise comparison in llm.c's validate_result style: |actual - expected| <= atol + rtol * |expected|, or a
 * bound of each element's own; NaN or infinity in the actual value always fails, the first few mismatches are listed.
 */
public final class Compare {
    private Compare() {
    }

    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        assertClose(what, e, actual, atol, rtol);
    }

    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        assertWithin(what, expected, actual, i -> atol + rtol * Math.abs(expected[i]),
                String.format("atol %.2g, rtol %.2g", atol, rtol));
    }

    /**
     * |actual[i] - expected[i]| <= bound(i) for every i; {@code boundText} says in the failure what the bound is.
     * NaN or infinity in the actual value fails (a NaN expected value wants a NaN).
     */
    public static void assertWithin(String what, double[] expected, float[] actual, IntToDoubleFunction bound,
                                    String boundText) {
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " values, got " + actual.length);
        }
        StringBuilder report = new StringBuilder();
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            double limit = bound.applyAsDouble(i);
            boolean ok = Float.isFinite(actual[i]) && diff <= limit;
            if (Double.isNaN(expected[i])) {
                ok = Float.isNaN(actual[i]);
            }
            if (!ok) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] expected %.8g, got %.8g (diff %.3g, bound %.3g)", i,
                            expected[i], actual[i], diff, limit));
                }
                bad++;
                worst = Math.max(worst, Float.isFinite(actual[i]) ? diff : Double.POSITIVE_INFINITY);
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values differ (%s, worst diff %.3g):%s", what, bad, expected.length,
                    boundText, worst, report));
        }
    }

    /** The largest |v| of the values (0 for none). */
    public static double largestMagnitude(float[] values) {
        double m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** {@link #assertWithin(String, double[], float[], IntToDoubleFunction, String)} with a bound per element. */
    public static void assertWithin(String what, float[] expected, float[] actual, double[] tolerance) {
        if (tolerance.length != expected.length) {
            fail(what + ": " + expected.length + " values but " + tolerance.length + " tolerances");
        }
        double[] wide = new double[expected.length];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = expected[i];
        }
        assertWithin(what, wide, actual, i -> tolerance[i], "a bound per element");
    }

    /** Largest |a - b| / max(|b|, floor) over the elements: a relative error with a floor for tiny values. */
    public static double maxRelativeError(float[] actual, float[] reference, double floor) {
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs((double) actual[i] - reference[i]) / Math.max(Math.abs(reference[i]), floor);
            if (!Double.isFinite(err)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, err);
        }
        return worst;
    }
}
