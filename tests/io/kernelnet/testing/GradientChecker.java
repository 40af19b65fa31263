package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.DoubleSupplier;

/**
 * The one gradient checker every op and layer test uses (Caffe's test_gradient_check_util): central finite
 * differences of a scalar loss, evaluated and differenced in double precision, compared with the analytic
 * gradient by |analytic - numeric| <= tolerance * max(|analytic|, |numeric|, 1), both finite.
 *
 * <p>The scalar is usually L = sum(w * f(x)) for fixed random weights w, whose analytic gradient is the op's
 * backward pass with dy = w. Inputs must stay away from kinks (ReLU at 0, max-pool ties) by more than the
 * step; {@link TestRandom#awayFromZero} and {@link TestRandom#distinct} make such inputs for a single op.
 *
 * <p>Inside a whole model the checker cannot place the hidden activations, so a perturbation may cross a kink
 * (a max-pool winner changing, a ReLU input crossing 0) and make that central difference meaningless. An element
 * that disagrees is therefore measured again at 1, 1/4 and 1/16 of the step, and passes if the central or either
 * one-sided difference agrees there: a kink leaves at least one side smooth unless it lies within step/16 of the
 * input, while a wrong analytic value disagrees with every slope of a smooth loss.
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
            double[] slopes = slopes(input, i, step, loss, Double.NaN);
            boolean agrees = agrees(analytic[i], slopes[0], tolerance);
            double at = agrees ? Double.NaN : loss.getAsDouble();
            // a kink the step crossed: smaller steps, and the slope of each side, which is smooth unless the kink
            // lies within step/16 of the input on both sides
            for (double h = step; !agrees && h >= step / 16; h /= 4) {
                slopes = slopes(input, i, h, loss, at);
                agrees = agrees(analytic[i], slopes[0], tolerance) || agrees(analytic[i], slopes[1], tolerance)
                        || agrees(analytic[i], slopes[2], tolerance);
            }
            if (!agrees) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] analytic %.6g, numeric %.6g (right %.6g, left %.6g at step"
                            + " %.1g)", i, analytic[i], slopes[0], slopes[1], slopes[2], step / 16));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d gradient values differ from finite differences (step %.1g, tol %.1g):%s",
                    what, bad, input.length, step, tolerance, report));
        }
    }

    /**
     * The central, right and left difference quotients at step h (the one-sided ones NaN without the loss at x),
     * each over the perturbation actually applied in float32, so that rounding of x +- h does not bias it.
     */
    private static double[] slopes(float[] input, int i, double h, DoubleSupplier loss, double at) {
        float original = input[i];
        float up = (float) (original + h);
        float down = (float) (original - h);
        input[i] = up;
        double plus = loss.getAsDouble();
        input[i] = down;
        double minus = loss.getAsDouble();
        input[i] = original;
        return new double[] {(plus - minus) / ((double) up - down), (plus - at) / ((double) up - original),
            (at - minus) / ((double) original - down)};
    }

    /** Both finite and close: an infinity would be within any relative tolerance of every value. */
    private static boolean agrees(double a, double b, double tolerance) {
        return Double.isFinite(a) && Double.isFinite(b)
                && Math.abs(a - b) <= tolerance * Math.max(Math.max(Math.abs(a), Math.abs(b)), 1.0);
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
