package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Elementwise comparison in llm.c's validate_result style: |actual - expected| <= atol + rtol * |expected|,
 * NaN or infinity in the actual value always fails, the first few mismatches are listed.
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
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " values, got " + actual.length);
        }
        StringBuilder report = new StringBuilder();
        int bad = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[i] - expected[i]);
            boolean ok = Float.isFinite(actual[i]) && diff <= atol + rtol * Math.abs(expected[i]);
            if (Double.isNaN(expected[i])) {
                ok = Float.isNaN(actual[i]);
            }
            if (!ok) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] expected %.8g, got %.8g (diff %.3g)", i, expected[i],
                            actual[i], diff));
                }
                bad++;
                worst = Math.max(worst, Float.isFinite(actual[i]) ? diff : Double.POSITIVE_INFINITY);
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values differ (atol %.2g, rtol %.2g, worst diff %.3g):%s", what, bad,
                    expected.length, atol, rtol, worst, report));
        }
    }

    /**
     * |actual[i] - expected[i]| <= tolerance[i] for every i (a bound derived per element), NaN or infinity in the
     * actual value always failing; the first few mismatches are listed.
     */
    public static void assertWithin(String what, float[] expected, float[] actual, double[] tolerance) {
        if (expected.length != actual.length || tolerance.length != actual.length) {
            fail(what + ": expected " + expected.length + " values and " + tolerance.length + " tolerances, got "
                    + actual.length + " values");
        }
        StringBuilder report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            if (!Float.isFinite(actual[i]) || !(diff <= tolerance[i])) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] expected %.9g, got %.9g (diff %.3g, tolerance %.3g)", i,
                            expected[i], actual[i], diff, tolerance[i]));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values outside their bounds:%s", what, bad, expected.length, report));
        }
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
