package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

/**
 * The one gradient checker every op and layer test uses (Caffe's test_gradient_check_util): central finite
 * differences of a scalar loss, evaluated and differenced in double precision, compared with the analytic
 * gradient by |analytic - numeric| <= tolerance * max(|analytic|, |numeric|, 1).
 *
 * <p>The scalar is usually L = sum(w * f(x)) for fixed random weights w, whose analytic gradient is the op's
 * backward pass with dy = w. Inputs must stay away from kinks (ReLU at 0, max-pool ties) by more than the
 * step; {@link TestRandom#awayFromZero} and {@link TestRandom#distinct} make such inputs.
 */
public final class GradientChecker {
    /** Step for float32 forward passes: large enough that rounding (~1e-7 relative) stays small against it. */
    public static final double DEFAULT_STEP = 1e-2;
    /** Tolerance for float32 forward passes at that step. */
    public static final double DEFAULT_TOLERANCE = 1e-2;

    private GradientChecker() {
    }

    /**
     * Perturbs every element of {@code input} in place by +-step, re-evaluates {@code loss} (which must read
     * {@code input} each time) and compares with {@code analytic}. Restores {@code input} afterwards.
     */
    public static void check(String what, float[] input, float[] analytic, DoubleSupplier loss, double step,
                             double tolerance) {
        if (input.length != analytic.length) {
            fail(what + ": " + input.length + " inputs but " + analytic.length + " gradient values");
        }
        StringBuilder report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < input.length; i++) {
            float original = input[i];
            input[i] = (float) (original + step);
            double plus = loss.getAsDouble();
            input[i] = (float) (original - step);
            double minus = loss.getAsDouble();
            input[i] = original;
            // the perturbation actually applied in float32, so that rounding of x +- step does not bias the slope
            double applied = ((double) (float) (original + step) - (double) (float) (original - step));
            double numeric = (plus - minus) / applied;
            double scale = Math.max(Math.max(Math.abs(analytic[i]), Math.abs(numeric)), 1.0);
            if (!(Math.abs(analytic[i] - numeric) <= tolerance * scale)) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] analytic %.6g, numeric %.6g", i, analytic[i], numeric));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d gradient values differ from finite differences (step %.1g, tol %.1g):%s",
                    what, bad, input.length, step, tolerance, report));
        }
    }

    public static void check(String what, float[] input, float[] analytic, DoubleSupplier loss) {
        check(what, input, analytic, loss, DEFAULT_STEP, DEFAULT_TOLERANCE);
    }

    /** sum(w * y) in double: the scalar whose gradient with respect to y is w. */
    public static double weightedSum(float[] w, float[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) w[i] * y[i];
        }
        return s;
    }
}
