package io.kernelnet.backend;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Row;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.backend.cuda.SelfTest;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.TestRandom;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checker itself, on the CPU: compared with a second instance of itself the reference passes every case (no
 * false alarm), and each kind of wrong backend (a slightly wrong value, a wrong mask bit, a wrong scalar, an element
 * not written or read before it is written, a write out of bounds, an input changed, an exception, an allocation
 * refused) is caught, on the reference as well. Then the checker used for what it is for: the fast CPU backend
 * against the reference. Needs the CPU backend's ops (helpers cpu-a and cpu-b).
 */
class CrossCheckTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final Backend reference = new CpuBackend();

    /** Testing the checker: the reference against itself must pass everything, or the checker cries wolf. */
    @Test
    void theCheckerPassesTheReferenceAgainstItselfOnEveryCase() {
        assertEveryCasePasses(new CpuBackend());
    }

    /** Using the checker: the fast CPU backend (`cpu`) against the reference (`cpu-reference`), every case. */
    @Test
    void theFastCpuBackendAgreesWithTheReferenceOnEveryCase() {
        assertEveryCasePasses(new FastCpuBackend());
    }

    private void assertEveryCasePasses(Backend underTest) {
        List<Case> cases = CrossCheck.cases(Numerics.FP32);
        List<Row> rows = CrossCheck.runAll(reference, underTest, rng.seed());
        List<Row> failed = rows.stream().filter(r -> !r.pass()).collect(Collectors.toList());
        assertTrue(failed.isEmpty(), () -> failed.size() + " rows failed, e.g. " + failed.get(0));
        assertTrue(rows.size() >= cases.size(), "every case compares at least one output");
    }

    @Test
    void aGemmWithOneElementOffByATenthOfAPercentFailsEveryGemmCase() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void gemm(Tensor c, Tensor a, boolean ta, Tensor b, boolean tb, float alpha, float beta) {
                super.gemm(c, a, ta, b, tb, alpha, beta);
                nudgeLargest(c);
            }

            @Override
            public void gemmBatched(Tensor c, Tensor a, boolean ta, Tensor b, boolean tb, float alpha, float beta) {
                super.gemmBatched(c, a, ta, b, tb, alpha, beta);
                nudgeLargest(c);
            }
        };
        assertEveryCaseFails(wrong, c -> (c.op().equals("gemm") || c.op().equals("gemmBatched"))
                && !c.shape().startsWith("M=0") && !c.shape().contains("N=0") && small(c), "c");
    }

    @Test
    void aConvolutionPassWithOneElementNudgedFailsEveryCaseOfThatPass() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
                super.conv2dBackwardData(dx, dy, w, g);
                nudgeLargest(dx);
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("conv2dBackwardData") && !c.shape().startsWith("x[128,"),
                "dx");
    }

    @Test
    void aMaxPoolKeepingTheLastOfTiedMaximaFails() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
                super.maxPool2dForward(y, argmax, x, g);
                // the last maximum of each window instead of the first: argmax differs wherever a window has a tie
                float[] xs = x.toArray();
                float[] ys = y.toArray();
                float[] as = argmax.toArray();
                int plane = g.h() * g.w();
                int outPlane = g.outH() * g.outW();
                for (int q = 0; q < as.length; q++) {
                    int p = q / outPlane;
                    int oh = q % outPlane / g.outW();
                    int ow = q % g.outW();
                    for (int ih = Math.max(oh * g.strideH() - g.pad().top(), 0);
                         ih < Math.min(oh * g.strideH() - g.pad().top() + g.kh(), g.h()); ih++) {
                        for (int iw = Math.max(ow * g.strideW() - g.pad().left(), 0);
                             iw < Math.min(ow * g.strideW() - g.pad().left() + g.kw(), g.w()); iw++) {
                            if (xs[p * plane + ih * g.w() + iw] == ys[q]) {
                                as[q] = ih * g.w() + iw;
                            }
                        }
                    }
                }
                upload(argmax, as, 0);
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("maxPool2dForward") && !c.shape().startsWith("x[128,"),
                "argmax");
    }

    /** Adds 0.1% (plus 1e-3) to the element of largest magnitude: the kind of error a wrong tile edge makes. */
    private static void nudgeLargest(Tensor t) {
        float[] a = t.hostArray();
        int off = (int) t.offset();
        int best = off;
        for (int i = off; i < off + t.size(); i++) {
            if (Math.abs(a[i]) > Math.abs(a[best])) {
                best = i;
            }
        }
        a[best] += 1e-3f * (1 + Math.abs(a[best]));
    }

    @Test
    void aDropoutMaskWithOneElementFlippedFails() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                       long offset) {
                super.dropoutForward(y, mask, x, step, rate, seed, offset);
                float[] m = mask.hostArray();
                int last = (int) (mask.offset() + mask.size() - 1);
                m[last] = m[last] == 0 ? 1 / (1 - rate) : 0;
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("dropoutForward") && small(c), "mask");
    }

    @Test
    void anOutputElementLeftUnwrittenFails() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void add(Tensor y, Tensor a, Tensor b) {
                int n = (int) y.size() - 1;
                Shape s = Shape.of(n);
                super.add(y.reshape(Shape.of((int) y.size())).slice(0, s, "y"),
                        a.reshape(Shape.of((int) a.size())).slice(0, s, "a"),
                        b.reshape(Shape.of((int) b.size())).slice(0, s, "b"));
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("add"), "y");
    }

    /**
     * Outputs start as NaN, not as the guard sentinel: a max-pool that takes its running maximum from whatever its
     * output held, instead of starting at minus infinity, would find the right maxima past a large negative sentinel.
     */
    @Test
    void anOpReadingItsOutputBeforeWritingItFails() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
                float[] before = y.toArray();
                super.maxPool2dForward(y, argmax, x, g);
                float[] after = y.toArray();
                for (int i = 0; i < after.length; i++) {
                    after[i] = Math.max(before[i], after[i]);
                }
                upload(y, after, 0);
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("maxPool2dForward") && !c.shape().startsWith("x[128,"), "y");
    }

    /** Where a wrong copy writes one element more, and where the report must place it. */
    enum StrayWrite {
        ONE_PAST_THE_OUTPUT("after 'y'"),
        /** In the gap after the input x, which the copy cases place before the output y. */
        ONE_BEFORE_THE_OUTPUT("after 'x'"),
        /** What a kernel indexing the allocation without the view's offset would hit first. */
        AT_THE_ARENA_START("after the arena start");

        final String position;

        StrayWrite(String position) {
            this.position = position;
        }

        int index(Tensor y) {
            return switch (this) {
                case ONE_PAST_THE_OUTPUT -> (int) (y.offset() + y.size());
                case ONE_BEFORE_THE_OUTPUT -> (int) y.offset() - 1;
                case AT_THE_ARENA_START -> 0;
            };
        }
    }

    /** A write outside every tensor fails the case, on either side, with where it landed. */
    @ParameterizedTest(name = "{0}, by the reference: {1}")
    @CsvSource({"ONE_PAST_THE_OUTPUT, false", "ONE_BEFORE_THE_OUTPUT, false", "AT_THE_ARENA_START, false",
        "ONE_PAST_THE_OUTPUT, true"})
    void aWriteOutsideTheTensorsFailsAndSaysWhere(StrayWrite where, boolean byTheReference) {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void copy(Tensor dst, Tensor src) {
                super.copy(dst, src);
                dst.hostArray()[where.index(dst)] = 1;
            }
        };
        String who = (byTheReference ? "reference " : "") + wrong.name();
        for (Case c : casesWhere(c -> c.op().equals("copy"))) {
            List<Row> rows = byTheReference ? CrossCheck.run(c, wrong, new CpuBackend(), rng.seed())
                    : CrossCheck.run(c, reference, wrong, rng.seed());
            List<Row> failed = rows.stream().filter(r -> !r.pass()).collect(Collectors.toList());
            assertEquals(1, failed.size(), () -> c + ": " + rows);
            Row row = failed.get(0);
            assertEquals("(guard gaps)", row.output(), row::toString);
            assertTrue(row.note().startsWith(who + " wrote arena element ")
                    && row.note().endsWith(", outside every tensor (" + where.position + ")"), row::toString);
        }
    }

    @Test
    void anInputChangedByTheOpFailsAndSaysWhereAndHow() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void copy(Tensor dst, Tensor src) {
                super.copy(dst, src);
                src.hostArray()[(int) src.offset() + 1] = 42;
            }
        };
        for (Row row : assertEveryCaseFails(wrong, c -> c.op().equals("copy"), "x (input)")) {
            assertTrue(row.note().matches("wrong-cpu changed input 'x' at \\[1\\]: \\S+ -> 42\\.0"), row::toString);
        }
    }

    /** A scalar result is compared too: a loss summed over the batch instead of averaged fails. */
    @Test
    void aWrongScalarResultFails() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
                return super.mseLoss(dPred, pred, target) * pred.size();
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("mseLoss") && !c.shape().equals("[1]"), "loss");
    }

    @Test
    void anOpThatThrowsFailsWithItsMessage() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void argmax(Tensor indices, Tensor x) {
                throw new UnsupportedOperationException("argmax is broken here");
            }
        };
        for (Case c : casesWhere(r -> r.op().equals("argmax"))) {
            List<Row> rows = CrossCheck.run(c, reference, wrong, rng.seed());
            assertTrue(rows.stream().anyMatch(r -> !r.pass() && r.note().contains("argmax is broken here")),
                    () -> c + ": " + rows);
        }
    }

    /** A failure on the reference is reported as the reference's, and fails every row of the case. */
    @ParameterizedTest(name = "on the reference: {0}")
    @ValueSource(booleans = {false, true})
    void anArenaThatCannotBeAllocatedFailsEveryRow(boolean onTheReference) {
        Backend full = new DelegatingBackend(new CpuBackend()) {
            @Override
            public Storage allocate(long floats, String label) {
                throw new IllegalStateException("out of device memory");
            }
        };
        String note = (onTheReference ? "reference failed" : "failed") + ": IllegalStateException: out of device memory";
        // an output and a scalar
        Case c = casesWhere(x -> x.op().equals("mseLoss")).get(0);
        List<Row> rows = onTheReference ? CrossCheck.run(c, full, new CpuBackend(), rng.seed())
                : CrossCheck.run(c, reference, full, rng.seed());
        assertEquals(List.of("dPred", "loss"), rows.stream().map(Row::output).collect(Collectors.toList()));
        assertTrue(rows.stream().allMatch(r -> !r.pass() && r.note().equals(note)), rows::toString);
    }

    @Test
    void bothArenasAreReleasedAlsoWhenTheOpThrows() {
        List<Storage> arenas = new ArrayList<>();
        Backend recording = new DelegatingBackend(new CpuBackend()) {
            @Override
            public Storage allocate(long floats, String label) {
                Storage s = super.allocate(floats, label);
                arenas.add(s);
                return s;
            }
        };
        Backend throwing = new DelegatingBackend(recording) {
            @Override
            public void argmax(Tensor indices, Tensor x) {
                throw new UnsupportedOperationException("argmax is broken here");
            }
        };
        CrossCheck.run(casesWhere(c -> c.op().equals("argmax")).get(0), recording, throwing, rng.seed());
        assertEquals(2, arenas.size());
        assertTrue(arenas.stream().allMatch(Storage::isClosed));
    }

    /** Each case draws from its own seed, and the run's seed changes every case's. */
    @Test
    void everyCaseHasASeedOfItsOwnThatTheRunSeedChanges() {
        List<Case> cases = CrossCheck.cases(Numerics.FP32);
        long seed = rng.seed();
        assertEquals(cases.stream().map(Case::toString).distinct().count(),
                cases.stream().map(c -> CrossCheck.caseSeed(seed, c)).distinct().count());
        assertTrue(cases.stream().noneMatch(c -> CrossCheck.caseSeed(seed, c) == CrossCheck.caseSeed(seed + 1, c)));
    }

    @Test
    void aCaseTooLargeForOneArenaIsRefused() {
        Case huge = new Case("fill", "too large", r -> new Setup()
                .output("y", Shape.of(Integer.MAX_VALUE - 63), Tolerance.exact()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossCheck.run(huge, reference, reference, rng.seed()));
        assertTrue(e.getMessage().endsWith("floats is too large"), e.getMessage());
    }

    /** A case whose values do not fit its tensor is a mistake in the case, named before anything runs. */
    @Test
    void aCaseWhoseValuesDoNotFitItsTensorIsRefused() {
        assertRefused(() -> new Setup().input("x", Shape.of(2, 3), new float[5]), "x: 5 values for [2, 3]");
        assertRefused(() -> new Setup().inout("m", Shape.of(4), new float[3], Tolerance.exact()), "m: 3 values for [4]");
        assertEquals("relu [2, 3]", new Case("relu", "[2, 3]", r -> new Setup()).toString());
    }

    /** SelfTest asks a pooling case for its geometry (does this engine write the argmax?); no other case has one. */
    @Test
    void exactlyThePoolingCasesCarryTheirGeometry() {
        for (Case c : CrossCheck.cases(Numerics.FP32)) {
            assertEquals(c.op().contains("Pool2d"), c.pool().isPresent(), c.toString());
        }
    }

    @Test
    void aGemmEpilogueThatForgetsTheBiasFailsEveryCaseWithABias() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
                super.gemmBiasActivation(c, a, b, null, act, alpha);
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("gemmBiasActivation") && !c.shape().contains("no bias")
                && small(c) && !c.shape().contains("M=1536"), "c");
    }

    /** What a wrong split boundary would do: the first samples (1%, at least one) left out of the bias sums. */
    @Test
    void aFusedBiasGradientMissingItsFirstSamplesFailsEveryCaseWithABias() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                               float alpha) {
                super.biasActivationBackward(dz, dBias, dy, y, act, alpha);
                if (dBias == null) {
                    return;
                }
                int c = dz.dim(1);
                int inner = (int) dz.shape().sizeFrom(2);
                int left = Math.max(1, dz.dim(0) / 100) * c * inner;
                float[] d = dz.toArray();
                float[] b = dBias.hostArray();
                for (int i = 0; i < left; i++) {
                    b[(int) dBias.offset() + i / inner % c] -= d[i];
                }
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().startsWith("biasActivationBackward") && !c.op().contains("no bias"),
                "dBias");
    }

    @Test
    void aSoftmaxOverTheLastAxisInsteadFailsEveryCaseOverAnotherAxis() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void softmaxForward(Tensor y, Tensor x, int axis) {
                super.softmaxForward(y, x, x.rank() - 1);
            }
        };
        assertEveryCaseFails(wrong, c -> c.op().equals("softmaxForward") && c.shape().contains(" axis ")
                && !c.shape().contains("(last)") && !c.shape().startsWith("[2, 3, 0]"), "y");
    }

    /** The warm cases' epsilon (1e-3) is large enough that adding it in the other place is caught. */
    @Test
    void anAdamAddingEpsilonInTheOtherPlaceFailsEveryWarmAdamCase() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                   AdamSettings s) {
                AdamEpsilon other = s.epsilonPlacement() == AdamEpsilon.KERAS ? AdamEpsilon.PYTORCH : AdamEpsilon.KERAS;
                super.adamUpdate(param, grad, m, v, step, halt, new AdamSettings(s.beta1(), s.beta2(), s.epsilon(),
                        other, s.weightDecay(), s.decoupled()));
            }
        };
        // the parameters go wrong, and over several steps with L2 decay so do the moments
        assertEveryCaseFails(wrong, c -> c.op().equals("adamUpdate") && c.shape().contains("eps 0.001"), "param",
                false);
    }

    /** With momentum, decoupled decay and L2 decay differ (without it they are the same step). */
    @Test
    void anSgdDecayingTheGradientInsteadOfTheWeightsFailsEveryDecoupledCaseWithMomentum() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            @Override
            public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                                  SgdSettings s) {
                super.sgdUpdate(param, grad, velocity, step, halt, new SgdSettings(s.momentum(), s.nesterov(),
                        s.weightDecay(), false));
            }
        };
        // the velocity goes wrong too
        assertEveryCaseFails(wrong, c -> c.op().equals("sgdUpdate") && c.shape().contains("decoupled")
                && !c.shape().contains("momentum=0.0"), "param", false);
    }

    /**
     * An optimizer that keeps the first step's scalars (as a kernel given them by value and replayed from a graph
     * would) fails every case of several steps, whose learning rates and step numbers change.
     */
    @Test
    void optimizersThatFreezeTheFirstStepsScalarsFailEveryCaseOfSeveralSteps() {
        Backend wrong = new DelegatingBackend(new CpuBackend()) {
            private Storage caseParams;
            private Tensor first;

            /** The first scalars this case's parameters were updated with (a case has parameters of its own). */
            private Tensor frozen(Tensor param, Tensor step) {
                if (param.storage() != caseParams) {
                    caseParams = param.storage();
                    first = Tensor.wrap(step.toArray(), step.shape());
                }
                return first;
            }

            @Override
            public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                                  SgdSettings s) {
                super.sgdUpdate(param, grad, velocity, frozen(param, step), halt, s);
            }

            @Override
            public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                   AdamSettings s) {
                super.adamUpdate(param, grad, m, v, frozen(param, step), halt, s);
            }
        };
        assertEveryCaseFails(wrong, c -> (c.op().equals("sgdUpdate") || c.op().equals("adamUpdate"))
                && (c.shape().contains(" x3 ") || c.shape().contains(" steps ")), "param", false);
    }


    private List<Row> assertEveryCaseFails(Backend wrong, Predicate<Case> which, String output) {
        return assertEveryCaseFails(wrong, which, output, true);
    }

    /**
     * {@code onlyThere}: every other output passes (for a wrong op whose error cannot spread to them). Returns the
     * failing rows of {@code output}, one per case.
     */
    private List<Row> assertEveryCaseFails(Backend wrong, Predicate<Case> which, String output, boolean onlyThere) {
        List<Case> selected = casesWhere(which);
        assertFalse(selected.isEmpty());
        List<Row> caught = new ArrayList<>();
        for (Case c : selected) {
            List<Row> rows = CrossCheck.run(c, reference, wrong, rng.seed());
            Optional<Row> row = rows.stream().filter(r -> !r.pass() && r.output().equals(output)).findFirst();
            assertTrue(row.isPresent(), () -> c + " was not caught: " + rows);
            assertTrue(!onlyThere || rows.stream().filter(r -> !r.output().equals(output)).allMatch(Row::pass),
                    () -> c + " failed elsewhere too: " + rows);
            caught.add(row.get());
        }
        return caught;
    }

    /** Leaves out the cases sized for a GPU's grid (the full catalogue runs once, in the first test). */
    private static boolean small(Case c) {
        return !c.shape().contains(String.valueOf(CrossCheckCases.LARGE)) && !c.shape().contains("M=1536")
                && !c.shape().contains("M=512");
    }

    private static List<Case> casesWhere(Predicate<Case> which) {
        return CrossCheck.cases(Numerics.FP32).stream().filter(which).collect(Collectors.toList());
    }

    @Test
    void exactAcceptsEqualValuesAndSignedZerosButNotOneUlp() {
        float[] ref = {1f, 0f, -2.5f};
        assertEquals(0, Tolerance.exact().worst(new float[] {1f, -0f, -2.5f}, ref).error());
        double oneUlp = Tolerance.exact().worst(new float[] {Math.nextUp(1f), 0f, -2.5f}, ref).error();
        assertTrue(oneUlp > 0);
    }

    @Test
    void relativeJudgesSmallValuesAtATenthOfTheLargest() {
        float[] ref = {10f, 1e-6f};
        // 1e-6 off on the tiny element: 1e-6 / max(1e-6, 10/10) = 1e-6, within 1e-5
        assertTrue(Tolerance.relative().worst(new float[] {10f, 2e-6f}, ref).error() <= Tolerance.FP32_BOUND);
        // but 2e-5 off there is 2e-5 of that tenth, outside
        assertTrue(Tolerance.relative().worst(new float[] {10f, 2.1e-5f}, ref).error() > Tolerance.FP32_BOUND);
        // 5e-5 off on the large one: 5e-6, within; 1e-3 off: 1e-4, outside
        assertTrue(Tolerance.relative().worst(new float[] {10.00005f, 1e-6f}, ref).error() <= Tolerance.FP32_BOUND);
        Tolerance.Worst w = Tolerance.relative().worst(new float[] {10.001f, 1e-6f}, ref);
        assertTrue(w.error() > Tolerance.FP32_BOUND);
        assertEquals(0, w.index());
    }

    @Test
    void nanOrInfinityInTheResultIsAnInfiniteErrorAtTheFirstSuchElement() {
        float[] ref = {1f, 2f, 3f};
        assertEquals(new Tolerance.Worst(Double.POSITIVE_INFINITY, 1),
                Tolerance.relative().worst(new float[] {1f, Float.NaN, Float.NaN}, ref));
        assertEquals(Double.POSITIVE_INFINITY,
                Tolerance.scaled(1, 1, 1, 1).worst(new float[] {Float.POSITIVE_INFINITY, 2f, 3f}, ref).error());
        // a NaN reference (mean of nothing) demands NaN
        assertEquals(0, Tolerance.exact().worst(new float[] {Float.NaN}, new float[] {Float.NaN}).error());
        assertEquals(Double.POSITIVE_INFINITY,
                Tolerance.exact().worst(new float[] {0f}, new float[] {Float.NaN}).error());
    }

    /** An infinite reference (an overflow) demands the same infinity, for every metric. */
    @Test
    void anInfiniteReferenceDemandsTheSameInfinity() {
        float inf = Float.POSITIVE_INFINITY;
        for (Tolerance t : List.of(Tolerance.exact(), Tolerance.relative(), Tolerance.scaled(1, 1, 1))) {
            assertEquals(0, t.worst(new float[] {inf, 1f}, new float[] {inf, 1f}).error());
            assertEquals(Double.POSITIVE_INFINITY, t.worst(new float[] {Float.MAX_VALUE, 1f},
                    new float[] {inf, 1f}).error());
            assertEquals(Double.POSITIVE_INFINITY, t.worst(new float[] {-inf, 1f}, new float[] {inf, 1f}).error());
        }
    }

    @Test
    void gemmBoundIsTwiceGammaOfKPlusTwoAndTf32AddsOperandRounding() {
        double u = 0x1p-24;
        assertEquals(2 * 3 * u / (1 - 3 * u), Tolerance.gemmBound(GemmPrecision.FP32, 1), 1e-20);
        assertEquals(2 * 259 * u / (1 - 259 * u), Tolerance.gemmBound(GemmPrecision.FP32, 257), 1e-18);
        double tf32 = Tolerance.gemmBound(GemmPrecision.TF32, 257);
        assertTrue(tf32 > 0x1p-9 && tf32 < 5e-3, "tf32 bound " + tf32);
    }

    @Test
    void gemmScaleSumsAbsoluteProductsForEveryTransposeAndAddsBetaC() {
        // a = [[1, -2]] (1x2), b = [[3], [-4]] (2x1): |1*3| + |-2*-4| = 11; with beta = -0.5, c0 = 2: + 1
        float[] a = {1, -2};
        float[] b = {3, -4};
        assertEquals(11, GemmCases.gemmScale(a, false, b, false, null, 1, 1, 1, 2, 1, 0)[0]);
        assertEquals(12, GemmCases.gemmScale(a, true, b, true, new float[] {2}, 1, 1, 1, 2, 1, -0.5f)[0]);
        assertEquals(22, GemmCases.gemmScale(a, false, b, false, null, 1, 1, 1, 2, -2, 0)[0]);
    }

    @Test
    void selfTestPrintsATableAndASummaryAndPassesForTheReference() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setProperty(SelfTest.SEED_PROPERTY, Long.toString(rng.seed()));
        boolean ok;
        try {
            ok = SelfTest.run(new CpuBackend(), new PrintStream(bytes, true, StandardCharsets.UTF_8),
                    casesWhere(CrossCheckTest::small));
        } finally {
            System.clearProperty(SelfTest.SEED_PROPERTY);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(ok, out);
        assertTrue(out.contains("max error") && out.contains("gemmBatched") && out.contains("pass"), out);
        assertTrue(out.lines().reduce((x, y) -> y).orElse("").matches("selftest: (\\d+) of \\1 checks passed.*"),
                out);
    }
}
