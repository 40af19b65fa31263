package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Philox;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.Refusals;
import io.kernelnet.testing.TestRandom;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ops FastCpuBackend computes itself besides the products and pooling (FastCpuBackendTest): Adam in float32
 * within a running error bound of the reference; dropout and ReLU bit for bit the reference, ReLU on inputs holding
 * the values where its rule has a choice to make (signed zeros, NaN, infinities, subnormals); the sum within its
 * rounding.
 */
class FastOpsTest {
    private static final double U = 0x1p-24;
    /** Half the smallest subnormal float: the absolute error of a rounding into float's subnormal range. */
    private static final double SUBNORMAL = 0x1p-150;
    /** Relative slack for the test's own double arithmetic and the reference's, about 2^-50 per operation. */
    private static final double DOUBLE_SLACK = 1e-12;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend ref = new CpuBackend();
    private final FastCpuBackend fast = new FastCpuBackend();

    // ---- Adam -----------------------------------------------------------------------------------------------------

    /**
     * A float32 value as its exact value (evaluated in double) and a bound on the error of the float result that a
     * sequence of operations produced (running error analysis, Higham, Accuracy and Stability of Numerical
     * Algorithms, 2nd ed., section 3.3): each operation propagates its operands' errors to first and second order
     * and adds its own rounding, at most u times the magnitude of its result, or half a subnormal below the normal
     * range.
     */
    private record Bounded(double value, double error) {
        static Bounded exact(double v) {
            return new Bounded(v, 0);
        }

        /** A constant the fast path rounds once to float. */
        static Bounded rounded(double v) {
            return round(v, 0);
        }

        Bounded plus(Bounded o) {
            return round(value + o.value, error + o.error);
        }

        Bounded minus(Bounded o) {
            return round(value - o.value, error + o.error);
        }

        Bounded times(Bounded o) {
            return round(value * o.value, Math.abs(value) * o.error + Math.abs(o.value) * error + error * o.error);
        }

        Bounded dividedBy(Bounded o) {
            double d = Math.abs(o.value);
            if (!(d > o.error)) {
                throw new IllegalStateException("the bound cannot exclude a division by zero: " + o);
            }
            return round(value / o.value, (Math.abs(value) * o.error + d * error) / (d * (d - o.error)));
        }

        /** |sqrt(a) - sqrt(b)| <= min(sqrt(|a - b|), |a - b| / sqrt(b)). */
        Bounded sqrt() {
            double r = Math.sqrt(value);
            double e = Math.sqrt(error);
            if (value > 0) {
                e = Math.min(e, error / r);
            }
            return round(r, e);
        }

        private static Bounded round(double v, double propagated) {
            return new Bounded(v, propagated + U * (Math.abs(v) + propagated) + SUBNORMAL);
        }

        /** The largest |fast - reference| for a reference that rounds the exact value once to float. */
        double toleranceAgainstReference() {
            return (error + U * Math.abs(value) + SUBNORMAL) * (1 + DOUBLE_SLACK)
                    + DOUBLE_SLACK * Math.abs(value);
        }
    }

    /**
     * Gradients over six orders of magnitude (some far below epsilon's scale, some large), parameters over five,
     * moments as after some training, steps early and late, Adam and AdamW, both epsilon placements; more than one
     * of the fast path's blocks of 1,024 elements.
     */
    @ParameterizedTest(name = "step {0}, weight decay {1}, decoupled {2}, epsilon {3}")
    @CsvSource({"1, 0, false, KERAS", "2, 0.01, false, PYTORCH", "7, 0.01, true, KERAS", "1000, 0, false, PYTORCH",
        "30, 0.1, true, PYTORCH", "1000, 0.01, false, KERAS"})
    void adamIsWithinARunningErrorBoundOfTheReference(long t, float weightDecay, boolean decoupled,
                                                      AdamEpsilon placement) {
        int n = 2 * 1024 + 37;
        float lr = 0.003f;
        AdamSettings settings = new AdamSettings(0.9f, 0.999f, 1e-7f, placement, weightDecay, decoupled);
        Tensor step = Tensor.wrap(StepScalars.of(lr, t, 0), StepScalars.shape());
        float[] p = rng.normal(n);
        float[] g = rng.normal(n);
        float[] magnitude = rng.uniform(n, -6, 1);
        float[] paramMagnitude = rng.uniform(n, -5, 0);
        float[] m = rng.normal(n);
        float[] v = rng.normal(n);
        for (int i = 0; i < n; i++) {
            // parameters down to the size of one update, so that the update is not lost in their rounding
            p[i] *= (float) Math.pow(10, paramMagnitude[i]);
            g[i] *= (float) Math.pow(10, magnitude[i]);
            m[i] *= 0.1f * Math.abs(g[i]);
            v[i] *= v[i] * g[i] * g[i];
        }
        Tensor pRef = Tensor.wrap(p.clone(), Shape.of(n));
        Tensor mRef = Tensor.wrap(m.clone(), Shape.of(n));
        Tensor vRef = Tensor.wrap(v.clone(), Shape.of(n));
        ref.adamUpdate(pRef, Tensor.wrap(g, Shape.of(n)), mRef, vRef, step, settings);
        Tensor pFast = OffsetTensors.of(p, Shape.of(n));
        Tensor mFast = OffsetTensors.of(m, Shape.of(n));
        Tensor vFast = OffsetTensors.of(v, Shape.of(n));
        fast.adamUpdate(pFast, OffsetTensors.of(g, Shape.of(n)), mFast, vFast, step, settings);

        double[] pTolerance = new double[n];
        double[] mTolerance = new double[n];
        double[] vTolerance = new double[n];
        for (int i = 0; i < n; i++) {
            Bounded[] pmv = fastAdam(p[i], g[i], m[i], v[i], lr, t, settings);
            pTolerance[i] = pmv[0].toleranceAgainstReference();
            mTolerance[i] = pmv[1].toleranceAgainstReference();
            vTolerance[i] = pmv[2].toleranceAgainstReference();
        }
        Compare.assertWithin("param", pRef.toArray(), pFast.toArray(), pTolerance);
        Compare.assertWithin("m", mRef.toArray(), mFast.toArray(), mTolerance);
        Compare.assertWithin("v", vRef.toArray(), vFast.toArray(), vTolerance);
        OffsetTensors.assertNothingWrittenOutside("param", pFast);
        OffsetTensors.assertNothingWrittenOutside("m", mFast);
        OffsetTensors.assertNothingWrittenOutside("v", vFast);
    }

    /** FastAdam's operations, in its order, on one element: {p, m, v} with their error bounds. */
    private static Bounded[] fastAdam(float p, float g, float m, float v, float lr, long t, AdamSettings s) {
        Bounded beta1 = Bounded.exact(s.beta1());
        Bounded beta2 = Bounded.exact(s.beta2());
        Bounded oneMinusBeta1 = Bounded.rounded(1 - (double) s.beta1());
        Bounded oneMinusBeta2 = Bounded.rounded(1 - (double) s.beta2());
        double correction1 = s.biasCorrection1(t);
        double correction2 = s.biasCorrection2(t);
        boolean keras = s.epsilonPlacement() == AdamEpsilon.KERAS;
        Bounded stepSize = Bounded.rounded(keras ? lr * Math.sqrt(correction2) / correction1 : lr / correction1);
        // Keras: v * 1, exact
        Bounded vScale = keras ? Bounded.exact(1) : Bounded.rounded(1 / correction2);
        Bounded l2 = Bounded.exact(s.decoupled() ? 0 : s.weightDecay());
        Bounded shrink = s.decoupled() ? Bounded.rounded(1 - (double) lr * s.weightDecay()) : Bounded.exact(1);
        Bounded param = Bounded.exact(p);
        Bounded grad = Bounded.exact(g).plus(l2.times(param));
        Bounded m1 = beta1.times(Bounded.exact(m)).plus(oneMinusBeta1.times(grad));
        Bounded v1 = beta2.times(Bounded.exact(v)).plus(oneMinusBeta2.times(grad).times(grad));
        Bounded denominator = v1.times(vScale).sqrt().plus(Bounded.exact(s.epsilon()));
        Bounded p1 = param.times(shrink).minus(stepSize.times(m1).dividedBy(denominator));
        return new Bounded[] {p1, m1, v1};
    }

    @Test
    void adamSkipsAHaltedStepAndRefusesLikeTheReference() {
        float[] p = rng.normal(5);
        Tensor param = Tensor.wrap(p.clone(), Shape.of(5));
        Tensor halt = Tensor.wrap(new float[] {1}, Shape.of(1));
        AdamSettings settings = new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0, false);
        Tensor step = Tensor.wrap(StepScalars.of(0.1f, 1, 0), StepScalars.shape());
        fast.adamUpdate(param, Tensor.wrap(rng.normal(5), Shape.of(5)), Tensor.zeros(Shape.of(5)),
                Tensor.zeros(Shape.of(5)), step, halt, settings);
        assertArrayEquals(p, param.toArray());
        Tensor wrong = Tensor.zeros(Shape.of(4));
        refusedLikeTheReference(be -> () -> be.adamUpdate(param, param, wrong, param, step, settings));
        refusedLikeTheReference(be -> () -> be.adamUpdate(param, param, param, param, step, wrong, settings));
        Tensor stepZero = Tensor.wrap(StepScalars.of(0.1f, 0, 0), StepScalars.shape());
        refusedLikeTheReference(be -> () -> be.adamUpdate(param, param, param, param, stepZero, settings));
    }

    // ---- dropout --------------------------------------------------------------------------------------------------

    /**
     * Sizes below, at and past whole Philox blocks of four, and one split over the threads; rates of 0, common ones,
     * and one equal to an element's uniform (a multiple of 2^-24: that element is kept).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4, 5, 33, 1023, 40_003})
    void dropoutIsTheReferenceBitForBit(int n) {
        Shape shape = Shape.of(n);
        float[] x = rng.normal(n);
        long seed = rng.random().nextLong();
        long position = rng.random().nextInt(1 << 20);
        long offset = rng.random().nextInt(1 << 10);
        Tensor step = Tensor.wrap(StepScalars.of(1e-3f, 1, position), StepScalars.shape());
        float tie = Philox.uniform(seed, position + offset, rng.nextInt(n));
        for (float rate : new float[] {0, 0.2f, 0.5f, tie}) {
            Tensor yRef = Tensor.zeros(shape);
            Tensor maskRef = Tensor.zeros(shape);
            ref.dropoutForward(yRef, maskRef, Tensor.wrap(x, shape), step, rate, seed, offset);
            Tensor y = OffsetTensors.output(shape);
            Tensor mask = OffsetTensors.output(shape);
            fast.dropoutForward(y, mask, OffsetTensors.of(x, shape), step, rate, seed, offset);
            assertArrayEquals(yRef.toArray(), y.toArray(), "y at rate " + rate);
            assertArrayEquals(maskRef.toArray(), mask.toArray(), "mask at rate " + rate);
            OffsetTensors.assertNothingWrittenOutside("y", y);
            OffsetTensors.assertNothingWrittenOutside("mask", mask);

            float[] dy = rng.normal(n);
            Tensor dxRef = Tensor.zeros(shape);
            ref.dropoutBackward(dxRef, Tensor.wrap(dy, shape), maskRef);
            Tensor dx = OffsetTensors.output(shape);
            fast.dropoutBackward(dx, OffsetTensors.of(dy, shape), mask);
            assertArrayEquals(dxRef.toArray(), dx.toArray(), "dx at rate " + rate);
            OffsetTensors.assertNothingWrittenOutside("dx", dx);
        }
        refusedLikeTheReference(be -> () -> be.dropoutForward(Tensor.zeros(shape), Tensor.zeros(shape),
                Tensor.zeros(shape), step, 1.5f, seed, offset));
    }

    // ---- ReLU -----------------------------------------------------------------------------------------------------

    /** A convolution's [n, c, h, w] and a Dense layer's [n, c], with samples and channels not multiples of four. */
    static final List<Shape> RELU_SHAPES = List.of(Shape.of(9, 6, 5, 3), Shape.of(11, 13), Shape.of(2, 3, 1, 1));

    @Test
    void reluWithABiasIsTheReferenceBitForBitAlsoInPlace() {
        for (Shape shape : RELU_SHAPES) {
            int n = (int) shape.size();
            Shape biasShape = Shape.of(shape.dim(1));
            float[] z = rng.withSpecialValues(n);
            float[] bias = rng.withSpecialValues(shape.dim(1));
            float[] dy = rng.withSpecialValues(n);
            for (boolean withBias : new boolean[] {true, false}) {
                String what = "ReLU " + shape + (withBias ? " with" : " without") + " a bias";
                Tensor biasRef = withBias ? Tensor.wrap(bias, biasShape) : null;
                Tensor yRef = Tensor.zeros(shape);
                ref.biasActivationForward(yRef, Tensor.wrap(z, shape), biasRef, Activation.RELU, 0);
                Tensor y = OffsetTensors.output(shape);
                Tensor biasFast = withBias ? OffsetTensors.of(bias, biasShape) : null;
                fast.biasActivationForward(y, OffsetTensors.of(z, shape), biasFast, Activation.RELU, 0);
                assertArrayEquals(yRef.toArray(), y.toArray(), what + ": forward");
                OffsetTensors.assertNothingWrittenOutside(what, y);
                Tensor inPlace = OffsetTensors.of(z, shape);
                fast.biasActivationForward(inPlace, inPlace, biasFast, Activation.RELU, 0);
                assertArrayEquals(yRef.toArray(), inPlace.toArray(), what + ": forward in place");

                // backward from an output of the forward (the training case) and from any values at all
                for (float[] saved : new float[][] {yRef.toArray(), rng.withSpecialValues(n)}) {
                    Tensor dzRef = Tensor.zeros(shape);
                    Tensor dBiasRef = withBias ? Tensor.zeros(biasShape) : null;
                    ref.biasActivationBackward(dzRef, dBiasRef, Tensor.wrap(dy, shape), Tensor.wrap(saved, shape),
                            Activation.RELU, 0);
                    Tensor dz = OffsetTensors.output(shape);
                    Tensor dBias = withBias ? OffsetTensors.output(biasShape) : null;
                    fast.biasActivationBackward(dz, dBias, OffsetTensors.of(dy, shape), OffsetTensors.of(saved, shape),
                            Activation.RELU, 0);
                    assertArrayEquals(dzRef.toArray(), dz.toArray(), what + ": dz");
                    OffsetTensors.assertNothingWrittenOutside(what + ": dz", dz);
                    Tensor dyInPlace = OffsetTensors.of(dy, shape);
                    fast.biasActivationBackward(dyInPlace, dBias, dyInPlace, OffsetTensors.of(saved, shape),
                            Activation.RELU, 0);
                    assertArrayEquals(dzRef.toArray(), dyInPlace.toArray(), what + ": dz in place");
                    if (withBias) {
                        assertArrayEquals(dBiasRef.toArray(), dBias.toArray(), what + ": dBias");
                        OffsetTensors.assertNothingWrittenOutside(what + ": dBias", dBias);
                    }
                }
            }
        }
    }

    // ---- sum ------------------------------------------------------------------------------------------------------

    /**
     * Both sums add in double, each term through at most n roundings (the reference) or n/4 + 2 (four partial
     * sums), so they differ by at most (5n/4 + 2) 2^-53 sum|x|, and by the rounding of each to float.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 4, 7, 1000, 100_003})
    void sumIsWithinTheReferenceRounding(int n) {
        float[] x = rng.normal(n);
        float[] magnitude = rng.uniform(n, -3, 3);
        double absolute = 0;
        for (int i = 0; i < n; i++) {
            x[i] *= (float) Math.pow(10, magnitude[i]);
            absolute += Math.abs(x[i]);
        }
        Tensor t = OffsetTensors.of(x, Shape.of(n));
        float expected = ref.sum(Tensor.wrap(x, Shape.of(n)));
        float actual = fast.sum(t);
        double tolerance = (1.25 * n + 2) * 0x1p-53 * absolute * (1 + DOUBLE_SLACK)
                + U * (Math.abs(expected) + Math.abs(actual));
        Compare.assertWithin("sum of " + n, new float[] {expected}, new float[] {actual}, new double[] {tolerance});
        Tensor result = OffsetTensors.output(Shape.of(1));
        fast.sum(result, t);
        assertEquals(actual, result.toArray()[0]);
        OffsetTensors.assertNothingWrittenOutside("sum", result);
        assertThrows(IllegalArgumentException.class, () -> fast.sum(null));
    }

    private void refusedLikeTheReference(Function<Backend, Executable> call) {
        Refusals.assertRefusedLike(ref, fast, call);
    }
}
