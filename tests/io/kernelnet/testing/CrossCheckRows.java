package io.kernelnet.testing;

import io.kernelnet.backend.CrossCheck.Row;
import java.util.List;
import java.util.stream.Collectors;

/** The rows of one {@link io.kernelnet.backend.CrossCheck} case as a failure message: output, error, bound, verdict. */
public final class CrossCheckRows {
    private CrossCheckRows() {
    }

    public static String table(List<Row> rows) {
        return rows.stream().map(r -> String.format("  %-14s %11.3g <= %9.3g %s %s", r.output(), r.maxError(),
                r.bound(), r.pass() ? "pass" : "FAIL", r.note())).collect(Collectors.joining("\n"));
    }
}
