package io.kernelnet.backend;

import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;

/**
 * Runs an op on a reference backend (the CPU) and on a backend under test with the same fresh random inputs,
 * and compares every output against a stated bound (tinygrad's helper_test_op, llm.c's validate_result).
 *
 * <p>Each case lays its tensors out like the graph layer does: one allocation, tensors at 64-float-aligned
 * offsets (one case per op family also at an odd offset), with guard gaps between them. Outputs start as NaN, so
 * an element an op forgets to write fails; the gaps start as a sentinel and inputs must come back unchanged, so an
 * op that writes outside its outputs fails too.
 *
 * <p>Bounds, per output ({@link Tolerance}):
 * <ul>
 * <li>exact: copies, fills, single IEEE operations (add, bias add, multiply, ReLU), dropout masks, indices, counts.
 * <li>relative: FP32 math with a few roundings (transcendentals, softmax rows, losses, optimizers):
 *     |a - r| <= 1e-5 * max(|r|, m/10), m = the largest |r| of that output, so that values near zero, which carry
 *     the absolute rounding error of their larger neighbours, are judged at a tenth of the output's scale.
 * <li>sums (sum, mean, bias gradients): |a - r| <= 1e-5 * sum|x|, the scale any summation order's rounding
 *     error is proportional to (a tree or a sequential sum of n terms errs by at most about log2(n) or n times
 *     2^-24 of it).
 * <li>GEMM: |a - r| <= bound * s with s = |alpha| sum_p |A_ip||B_pj| + |beta||C0_ij| per element, bound =
 *     2 gamma(K+2), gamma(n) = n u / (1 - n u), u = 2^-24: Higham's worst case for any FP32 summation order
 *     (FMA or not), once for each backend. TF32 adds 2^-9 + 2^-20 for operands rounded (even truncated) to 10
 *     mantissa bits. The bound holds for every input, so a pass is never luck; it grows with K, so the cases keep
 *     K small enough (<= 257) that a lost or doubled product term (error s/K) still fails.
 * </ul>
 */
public final class CrossCheck {
    /** Guard value between tensors; any other value there after an op means it wrote out of bounds. */
    static final float SENTINEL = -8.125e27f;
    /** Gap before, between and after tensors, and their alignment (the graph layer's 256 bytes). */
    static final int GUARD = 64;
    private static final double U = 0x1p-24;

    /** One compared output (or scalar) of one case; {@code note} says what went wrong, or is empty. */
    public record Row(String op, String output, String shape, double maxError, double bound, boolean pass,
                      String note) {
    }

    /** An op on given shapes; {@link #setup} draws its inputs. */
    public static final class Case {
        private final String op;
        private final String shape;
        private final Function<Random, Setup> setup;
        private final Pool2dGeometry pool;

        Case(String op, String shape, Function<Random, Setup> setup) {
            this(op, shape, null, setup);
        }

        Case(String op, String shape, Pool2dGeometry pool, Function<Random, Setup> setup) {
            this.op = op;
            this.shape = shape;
            this.pool = pool;
            this.setup = setup;
        }

        /** The geometry of a pooling case (a test asserts which engine ran it); empty for the others. */
        public Optional<Pool2dGeometry> pool() {
            return Optional.ofNullable(pool);
        }

        public String op() {
            return op;
        }

        public String shape() {
            return shape;
        }

        @Override
        public String toString() {
            return op + " " + shape;
        }
    }

    private CrossCheck() {
    }

    /** Every case, with bounds for {@code numerics}. */
    public static List<Case> cases(Numerics numerics) {
        return CrossCheckCases.all(numerics);
    }

    /** All cases, each with its own seed derived from {@code seed} (so one can be replayed alone). */
    public static List<Row> runAll(Backend reference, Backend underTest, long seed) {
        List<Row> rows = new ArrayList<>();
        for (Case c : cases(underTest.numerics())) {
            rows.addAll(run(c, reference, underTest, seed));
        }
        return rows;
    }

    /** The seed a case draws its inputs from, for a run seeded with {@code seed}. */
    public static long caseSeed(long seed, Case c) {
        return seed * 0x9E3779B97F4A7C15L + c.toString().hashCode();
    }

    public static List<Row> run(Case c, Backend reference, Backend underTest, long seed) {
        Setup setup = c.setup.apply(new Random(caseSeed(seed, c)));
        Layout layout = new Layout(setup);
        Outcome ref = execute(reference, setup, layout);
        Outcome test = execute(underTest, setup, layout);
        List<Row> rows = new ArrayList<>();
        for (Buffer b : setup.buffers) {
            if (b.tolerance != null) {
                rows.add(compare(c, b.name, b.tolerance, ref, test,
                        o -> Arrays.copyOfRange(o.arena, layout.offset(b), layout.offset(b) + b.size())));
            }
        }
        for (int i = 0; i < setup.scalarNames.size(); i++) {
            int index = i;
            rows.add(compare(c, setup.scalarNames.get(i), setup.scalarTolerances.get(i), ref, test,
                    o -> new float[] {o.scalars[index]}));
        }
        integrity(c, "reference " + reference.name(), ref, setup, layout, rows);
        integrity(c, underTest.name(), test, setup, layout, rows);
        return rows;
    }

    private static Row compare(Case c, String output, Tolerance tolerance, Outcome ref, Outcome test,
                               Function<Outcome, float[]> extract) {
        if (ref.failure != null) {
            return new Row(c.op, output, c.shape, Double.NaN, tolerance.bound, false,
                    "reference failed: " + describe(ref.failure));
        }
        if (test.failure != null) {
            return new Row(c.op, output, c.shape, Double.NaN, tolerance.bound, false, "failed: "
                    + describe(test.failure));
        }
        float[] r = extract.apply(ref);
        float[] a = extract.apply(test);
        Tolerance.Worst worst = tolerance.worst(a, r);
        boolean pass = worst.error() <= tolerance.bound;
        String note = pass ? "" : String.format("worst at [%d]: got %.9g, expected %.9g", worst.index(),
                a[worst.index()], r[worst.index()]);
        return new Row(c.op, output, c.shape, worst.error(), tolerance.bound, pass, note);
    }

    /** Adds a failing row when an op wrote into a guard gap or changed one of its inputs. */
    private static void integrity(Case c, String who, Outcome o, Setup setup, Layout layout, List<Row> rows) {
        if (o.failure != null) {
            return;
        }
        int outside = layout.firstGuardViolation(o.arena);
        if (outside >= 0) {
            rows.add(new Row(c.op, "(guard gaps)", c.shape, Double.NaN, 0, false, who + " wrote arena element "
                    + outside + ", outside every tensor (" + layout.describePosition(outside) + ")"));
        }
        for (Buffer b : setup.buffers) {
            if (b.tolerance == null) {
                int off = layout.offset(b);
                for (int i = 0; i < b.size(); i++) {
                    if (Float.floatToRawIntBits(o.arena[off + i]) != Float.floatToRawIntBits(b.init[i])) {
                        rows.add(new Row(c.op, b.name + " (input)", c.shape, Double.NaN, 0, false, who
                                + " changed input '" + b.name + "' at [" + i + "]: " + b.init[i] + " -> "
                                + o.arena[off + i]));
                        break;
                    }
                }
            }
        }
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** The arena after the op, and the op's scalar results; or why it failed. */
    private record Outcome(float[] arena, float[] scalars, RuntimeException failure) {
    }

    private static Outcome execute(Backend backend, Setup setup, Layout layout) {
        Storage storage;
        try {
            storage = backend.allocate(layout.total, "crosscheck arena");
        } catch (RuntimeException e) {
            return new Outcome(null, null, e);
        }
        try {
            Tensor arena = new Tensor(storage, 0, Shape.of(layout.total), "arena");
            backend.upload(arena, layout.image, 0);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Buffer b : setup.buffers) {
                tensors.put(b.name, new Tensor(storage, layout.offset(b), b.shape, b.name));
            }
            float[] scalars = setup.body.run(backend, tensors);
            float[] after = new float[layout.total];
            backend.download(after, 0, arena);
            return new Outcome(after, scalars, null);
        } catch (RuntimeException e) {
            return new Outcome(null, null, e);
        } finally {
            storage.close();
        }
    }

    // ---- what a case declares -------------------------------------------------------------------------------

    /** The op call of a case on one backend; returns its scalar results (losses, sums), possibly none. */
    interface Body {
        float[] run(Backend backend, Map<String, Tensor> t);
    }

    /** A tensor of a case: an input (tolerance null), an output (init null: NaN) or both (updated in place). */
    record Buffer(String name, Shape shape, float[] init, Tolerance tolerance) {
        int size() {
            return (int) shape.size();
        }
    }

    /** The tensors, the call and the scalar results of one case, with inputs drawn. */
    static final class Setup {
        final List<Buffer> buffers = new ArrayList<>();
        final List<String> scalarNames = new ArrayList<>();
        final List<Tolerance> scalarTolerances = new ArrayList<>();
        Body body;
        int misalignment;

        Setup input(String name, Shape shape, float[] data) {
            return add(new Buffer(name, shape, data, null));
        }

        Setup output(String name, Shape shape, Tolerance tolerance) {
            return add(new Buffer(name, shape, null, tolerance));
        }

        Setup inout(String name, Shape shape, float[] data, Tolerance tolerance) {
            return add(new Buffer(name, shape, data, tolerance));
        }

        Setup scalar(String name, Tolerance tolerance) {
            scalarNames.add(name);
            scalarTolerances.add(tolerance);
            return this;
        }

        /** Places every tensor one float past its aligned offset (vector loads must check alignment). */
        Setup misaligned() {
            misalignment = 1;
            return this;
        }

        Setup run(Body body) {
            this.body = body;
            return this;
        }

        private Setup add(Buffer b) {
            if (b.init != null && b.init.length != b.size()) {
                throw new IllegalArgumentException(b.name + ": " + b.init.length + " values for " + b.shape);
            }
            buffers.add(b);
            return this;
        }
    }

    /** Offsets of a case's tensors in its one allocation, and the initial image of that allocation. */
    static final class Layout {
        private final Map<String, Integer> offsets = new LinkedHashMap<>();
        private final List<int[]> spans = new ArrayList<>();
        private final List<String> names = new ArrayList<>();
        final int total;
        final float[] image;

        Layout(Setup setup) {
            long cursor = GUARD;
            for (Buffer b : setup.buffers) {
                long offset = align(cursor) + setup.misalignment;
                offsets.put(b.name, (int) offset);
                spans.add(new int[] {(int) offset, (int) offset + b.size()});
                names.add(b.name);
                cursor = offset + b.size() + GUARD;
            }
            long size = align(cursor);
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("crosscheck arena of " + size + " floats is too large");
            }
            total = (int) size;
            image = new float[total];
            Arrays.fill(image, SENTINEL);
            for (Buffer b : setup.buffers) {
                int off = offsets.get(b.name);
                if (b.init != null) {
                    System.arraycopy(b.init, 0, image, off, b.size());
                } else {
                    Arrays.fill(image, off, off + b.size(), Float.NaN);
                }
            }
        }

        private static long align(long offset) {
            return (offset + GUARD - 1) / GUARD * GUARD;
        }

        int offset(Buffer b) {
            return offsets.get(b.name);
        }

        /** The first element outside every tensor that no longer holds the sentinel, or -1. */
        int firstGuardViolation(float[] arena) {
            int next = 0;
            for (int[] span : spans) {
                int bad = firstNotSentinel(arena, next, span[0]);
                if (bad >= 0) {
                    return bad;
                }
                next = Math.max(next, span[1]);
            }
            return firstNotSentinel(arena, next, arena.length);
        }

        private static int firstNotSentinel(float[] arena, int from, int to) {
            for (int i = from; i < to; i++) {
                if (Float.floatToRawIntBits(arena[i]) != Float.floatToRawIntBits(SENTINEL)) {
                    return i;
                }
            }
            return -1;
        }

        String describePosition(int index) {
            String before = "the arena start";
            for (int i = 0; i < spans.size(); i++) {
                if (spans.get(i)[1] <= index) {
                    before = "'" + names.get(i) + "'";
                }
            }
            return "after " + before;
        }
    }

    // ---- bounds -----------------------------------------------------------------------------------------------

    /** How one output is compared: the error metric and its bound. */
    static final class Tolerance {
        enum Kind { EXACT, RELATIVE, SCALED }

        /** FP32 elementwise math, losses, optimizer steps and sums. */
        static final double FP32_BOUND = 1e-5;

        final Kind kind;
        final double bound;
        private final double[] scale;

        private Tolerance(Kind kind, double bound, double[] scale) {
            this.kind = kind;
            this.bound = bound;
            this.scale = scale;
        }

        static Tolerance exact() {
            return new Tolerance(Kind.EXACT, 0, null);
        }

        /** |a - r| / max(|r|, max|r| / 10) <= 1e-5 (see the class comment). */
        static Tolerance relative() {
            return new Tolerance(Kind.RELATIVE, FP32_BOUND, null);
        }

        /** |a_i - r_i| / scale_i <= bound, scale from the inputs (GEMM, sums). */
        static Tolerance scaled(double bound, double... scale) {
            return new Tolerance(Kind.SCALED, bound, scale);
        }

        /** The GEMM bound for an inner dimension k (see the class comment). */
        static double gemmBound(GemmPrecision precision, int k) {
            double n = k + 2;
            double fp32 = 2 * n * U / (1 - n * U);
            return precision == GemmPrecision.TF32 ? 0x1p-9 + 0x1p-20 + fp32 : fp32;
        }

        record Worst(double error, int index) {
        }

        /** The largest error and where; infinite when the test value is not finite but the reference is. */
        Worst worst(float[] actual, float[] reference) {
            double floor = 0;
            if (kind == Kind.RELATIVE) {
                for (float r : reference) {
                    if (Float.isFinite(r)) {
                        floor = Math.max(floor, Math.abs(r) / 10);
                    }
                }
            }
            double worst = 0;
            int at = 0;
            for (int i = 0; i < actual.length; i++) {
                double a = actual[i];
                double r = reference[i];
                double error;
                if (Double.isNaN(r)) {
                    error = Double.isNaN(a) ? 0 : Double.POSITIVE_INFINITY;
                } else if (!Double.isFinite(a) || Double.isInfinite(r)) {
                    error = a == r ? 0 : Double.POSITIVE_INFINITY;
                } else {
                    double d = Math.abs(a - r);
                    error = switch (kind) {
                        case EXACT -> d;
                        case RELATIVE -> d == 0 ? 0 : d / Math.max(Math.abs(r), floor);
                        case SCALED -> d == 0 ? 0 : d / scale[i];
                    };
                }
                if (error > worst) {
                    worst = error;
                    at = i;
                }
            }
            return new Worst(worst, at);
        }
    }
}
