package io.kernelnet.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Our training examples per second against PyTorch's, eager and torch.compile, one row per model and batch, each
 * ratio marked against its target: on a GPU ours / eager >= 1.5 for the cnn and >= 2 for the mlp; on the CPU
 * ours / eager >= 1.0 for both; ours / compile >= 1.0 for both. A ratio
 * is reported whether the target is met or missed; "-" where PyTorch has no figure.
 *
 * @param cpu whether ours ran on the CPU, which sets the eager targets
 */
public record RatioTable(String peerDescription, boolean cpu, List<Row> rowList) {
    static final double COMPILE_TARGET = 1.0;

    /** One model and batch; NaN where PyTorch has no figure. */
    public record Row(String model, int batch, double ours, double eager, double compile, String compileNote) {
        public double eagerRatio() {
            return ours / eager;
        }

        public double compileRatio() {
            return ours / compile;
        }
    }

    public RatioTable {
        rowList = List.copyOf(rowList);
    }

    /**
     * The target for ours / PyTorch eager: on a GPU 1.5 for the cnn and 2 for the mlp, on the CPU 1.0 for
     * both; NaN for another model.
     */
    double eagerTarget(String model) {
        return switch (model) {
            case "cnn" -> cpu ? 1.0 : 1.5;
            case "mlp" -> cpu ? 1.0 : 2.0;
            default -> Double.NaN;
        };
    }

    /** Ours (on the CPU when {@code cpu}) against the peer's figures for the same models and batches. */
    public static RatioTable of(List<TrainBench.Result> ours, PyTorchTimes peer, boolean cpu) {
        List<Row> rows = new ArrayList<>();
        for (TrainBench.Result r : ours) {
            PyTorchTimes.Entry compiled = peer.find(r.model(), r.batch(), PyTorchTimes.COMPILE);
            rows.add(new Row(r.model(), r.batch(), r.median(), peer.rate(r.model(), r.batch(), PyTorchTimes.EAGER),
                    compiled == null ? Double.NaN : compiled.examplesPerSecond(),
                    compiled == null ? "" : compiled.note()));
        }
        return new RatioTable(peer.framework() + " on " + peer.device(), cpu, rows);
    }

    /** "met" or "missed" for {@code ratio} against {@code target}; "-" when either is unknown. */
    static String verdict(double ratio, double target) {
        if (Double.isNaN(ratio) || Double.isNaN(target)) {
            return "-";
        }
        return ratio >= target ? "met" : "missed";
    }

    public List<String> headers() {
        return List.of("model", "batch", "ours ex/s", "eager ex/s", "ours/eager", "target", "compile ex/s",
                "ours/compile", "target");
    }

    /** The table's cells as text, in the order of {@link #headers()}. */
    public List<List<String>> rows() {
        List<List<String>> cells = new ArrayList<>();
        for (Row r : rowList) {
            double et = eagerTarget(r.model());
            cells.add(List.of(r.model(), Integer.toString(r.batch()), rate(r.ours()), rate(r.eager()),
                    ratio(r.eagerRatio()), target(et, r.eagerRatio()), rate(r.compile()), ratio(r.compileRatio()),
                    target(COMPILE_TARGET, r.compileRatio())));
        }
        return cells;
    }

    /** A plain-text table: ours on {@code ourDevice}, the peer as its file says. */
    public String format(String ourDevice) {
        StringBuilder sb = new StringBuilder();
        sb.append("ours: ").append(ourDevice).append("; PyTorch: ").append(peerDescription).append('\n');
        String f = "%-5s %6s %12s %12s %10s %-13s %12s %12s %-13s%n";
        sb.append(String.format(Locale.ROOT, f, headers().toArray()));
        for (List<String> row : rows()) {
            sb.append(String.format(Locale.ROOT, f, row.toArray()));
        }
        for (Row r : rowList) {
            if (!r.compileNote().isEmpty()) {
                sb.append("torch.compile ").append(r.model()).append(" batch ").append(r.batch()).append(": ")
                        .append(r.compileNote()).append('\n');
            }
        }
        return sb.toString();
    }

    /** Rows for the bench's JSON; nulls where PyTorch has no figure. */
    public List<Object> json() {
        List<Object> out = new ArrayList<>();
        for (Row r : rowList) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", r.model());
            m.put("batch", r.batch());
            m.put("ours_examples_per_second", finite(r.ours()));
            m.put("pytorch_eager_examples_per_second", finite(r.eager()));
            m.put("ratio_vs_eager", finite(r.eagerRatio()));
            m.put("target_vs_eager", finite(eagerTarget(r.model())));
            m.put("target_vs_eager_met", verdict(r.eagerRatio(), eagerTarget(r.model())));
            m.put("pytorch_compile_examples_per_second", finite(r.compile()));
            m.put("ratio_vs_compile", finite(r.compileRatio()));
            m.put("target_vs_compile", COMPILE_TARGET);
            m.put("target_vs_compile_met", verdict(r.compileRatio(), COMPILE_TARGET));
            if (!r.compileNote().isEmpty()) {
                m.put("compile_note", r.compileNote());
            }
            out.add(m);
        }
        return out;
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    private static String rate(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.0f", x);
    }

    private static String ratio(double x) {
        return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.2fx", x);
    }

    private static String target(double target, double ratio) {
        return Double.isNaN(target) ? "-" : String.format(Locale.ROOT, ">=%.1fx %s", target, verdict(ratio, target));
    }
}
