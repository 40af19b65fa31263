package io.kernelnet.backend.cuda;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.CrossCheck;
import io.kernelnet.backend.Numerics;
import io.kernelnet.backend.cpu.CpuBackend;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code kernelnet selftest}: every {@link CrossCheck} case of a backend against the CPU reference, printed as a
 * table (op | output | shape | max error | bound | pass) with a summary line. The same cases the GPU tests run.
 */
public final class SelfTest {
    /** System property fixing the seed, to replay a run. */
    public static final String SEED_PROPERTY = "kernelnet.selftest.seed";

    private SelfTest() {
    }

    /** Returns whether every check passed. */
    public static boolean run(Backend underTest, PrintStream out) {
        return run(underTest, out, CrossCheck.cases(underTest.numerics()));
    }

    /** {@link #run(Backend, PrintStream)} over a chosen list of cases. */
    public static boolean run(Backend underTest, PrintStream out, List<CrossCheck.Case> cases) {
        long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
        Numerics numerics = underTest.numerics();
        out.printf("selftest: %s (%s) against the cpu reference, seed %d (replay with -D%s=%d), gemm bounds %s,"
                + " pooling %s%n", underTest.name(), underTest.device(), seed, SEED_PROPERTY, seed, numerics.gemm(),
                numerics.poolSumsInCpuOrder() ? "exact" : "in cuDNN's order");
        String format = "%-44s %-14s %-42s %11s %10s  %s%n";
        out.printf(format, "op", "output", "shape", "max error", "bound", "pass");
        int passed = 0;
        int total = 0;
        long start = System.nanoTime();
        try (CpuBackend reference = new CpuBackend()) {
            for (CrossCheck.Case c : cases) {
                List<CrossCheck.Row> rows = CrossCheck.run(c, reference, underTest, seed);
                // cuDNN's max-pool keeps no argmax of ours (its backward reads x and y): nothing to compare
                boolean argmaxKept = c.pool().map(underTest::writesMaxPoolArgmax).orElse(true);
                for (CrossCheck.Row row : rows) {
                    if (!argmaxKept && row.output().equals("argmax")) {
                        out.printf(format, row.op(), row.output(), row.shape(), "-", "-", "not kept by cuDNN");
                        continue;
                    }
                    total++;
                    if (row.pass()) {
                        passed++;
                    }
                    out.printf(format, row.op(), row.output(), row.shape(), number(row.maxError()), number(row.bound()),
                            row.pass() ? "pass" : "FAIL");
                    if (!row.note().isEmpty()) {
                        out.println("    " + row.note());
                    }
                }
            }
        }
        out.printf("selftest: %d of %d checks passed, %d failed (%s, seed %d, %.1f s)%n", passed, total,
                total - passed, underTest.name(), seed, (System.nanoTime() - start) / 1e9);
        return passed == total;
    }

    private static String number(double v) {
        return v == 0 ? "0" : Double.isNaN(v) ? "-" : String.format("%.3g", v);
    }
}
