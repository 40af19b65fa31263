package io.kernelnet.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code bench kernels} reports from its results, without a device: each result against the ceilings measured
 * in the same run and against the vendor's time for the same case, the targets judged met or missed, and the
 * table, JSON (schema in bench/README.md) and HTML page (one chart per op family) that say so.
 */
public record KernelReport(String device, long l2Bytes, int warmup, int runs, Ceilings ceilings,
                           List<KernelResult> results) {
    static final double GEMM_4096_TARGET = 0.90;
    static final double GEMM_1024_TARGET = 0.75;
    static final double BANDWIDTH_TARGET = 0.85;
    static final double CONV_TARGET = 0.60;
    /** The families held to {@link #BANDWIDTH_TARGET} on the large tensors. */
    static final Set<String> BANDWIDTH_FAMILIES = Set.of(KernelCases.ACTIVATION, KernelCases.ELEMENTWISE,
            KernelCases.DROPOUT, KernelCases.OPTIMIZER);

    /**
     * The device's ceilings, measured in the same run: a device-to-device copy of a {@code copyBytes} tensor (GB/s
     * counting read and write) and cuBLAS SGEMM, FP32 pedantic, at N = {@code sgemmN} (NaN without cuBLAS).
     */
    public record Ceilings(double copyGBps, long copyBytes, double sgemmGflops, int sgemmN) {
    }

    /** One target: our figure over the reference figure, against the goal. */
    public record Target(String name, double ratio, double goal) {
        /** "met", "missed", or "-" when a figure is missing. */
        public String verdict() {
            return RatioTable.verdict(ratio, goal);
        }
    }

    public KernelReport {
        results = List.copyOf(results);
    }

    /** The vendor's result for the case of ours-result {@code r}, or null. */
    KernelResult vendorOf(KernelResult r) {
        for (KernelResult v : results) {
            if (!v.ours() && v.kernelCase().equals(r.kernelCase())) {
                return v;
            }
        }
        return null;
    }

    /** Our speed as a fraction of the vendor's on the same case (vendor time / our time); NaN without one. */
    double speedVsVendor(KernelResult r) {
        KernelResult v = r.ours() ? vendorOf(r) : null;
        return v == null ? Double.NaN : v.medianMs() / r.medianMs();
    }

    double fractionOfCopy(KernelResult r) {
        return r.gbps() / ceilings.copyGBps();
    }

    double fractionOfSgemm(KernelResult r) {
        return r.gflops() / ceilings.sgemmGflops();
    }

    /**
     * The targets: our FP32 GEMM >= 90% of cuBLAS FP32 at 4096 and >= 75% at 1024; each elementwise and
     * optimizer op >= 85% of the copy bandwidth on the large tensors; each of the cnn's convolution passes >= 60% of
     * cuDNN's speed. A target whose figures are missing is listed with verdict "-".
     */
    public List<Target> targets() {
        List<Target> gemm = new ArrayList<>();
        List<Target> bandwidth = new ArrayList<>();
        List<Target> conv = new ArrayList<>();
        for (KernelResult r : results) {
            KernelCase c = r.kernelCase();
            if (!r.ours()) {
                continue;
            }
            if (c.family().equals(KernelCases.GEMM) && c.source().equals(KernelCases.SQUARE_SOURCE)
                    && (c.layer().equals("4096") || c.layer().equals("1024"))) {
                gemm.add(new Target("FP32 GEMM " + c.layer() + " vs cuBLAS FP32", speedVsVendor(r),
                        c.layer().equals("4096") ? GEMM_4096_TARGET : GEMM_1024_TARGET));
            } else if (c.source().equals(KernelCases.LARGE) && BANDWIDTH_FAMILIES.contains(c.family())) {
                bandwidth.add(new Target(c.label() + " vs copy bandwidth", fractionOfCopy(r), BANDWIDTH_TARGET));
            } else if (c.family().equals(KernelCases.CONV)) {
                conv.add(new Target(c.label() + " vs cuDNN", speedVsVendor(r), CONV_TARGET));
            }
        }
        List<Target> targets = new ArrayList<>(gemm);
        targets.addAll(bandwidth);
        targets.addAll(conv);
        return targets;
    }

    /** The plain-text report: ceilings, every result, then the targets. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "bench kernels: %s, L2 %d MiB, median of %d runs after %d warm-up%n",
                device, l2Bytes >> 20, runs, warmup));
        sb.append(String.format(Locale.ROOT, "ceilings: device copy of %d MiB %.0f GB/s (read + write), cuBLAS SGEMM "
                + "FP32 N=%d %s GFLOP/s%n", ceilings.copyBytes() >> 20, ceilings.copyGBps(), ceilings.sgemmN(),
                number(ceilings.sgemmGflops(), "%.0f")));
        String f = "%-44s %-34s %-8s %10s %8s %8s %7s %7s %8s%n";
        sb.append(String.format(Locale.ROOT, f, "case", "shapes", "engine", "median ms", "GB/s", "GFLOP/s",
                "%copy", "%sgemm", "vs vendor"));
        for (KernelResult r : results) {
            sb.append(String.format(Locale.ROOT, f, r.kernelCase().label(), r.kernelCase().spec().shapes(), r.engine(),
                    String.format(Locale.ROOT, "%.4f", r.medianMs()), number(r.gbps(), "%.1f"),
                    number(r.gflops(), "%.0f"), number(100 * fractionOfCopy(r), "%.0f"),
                    number(100 * fractionOfSgemm(r), "%.0f"), number(speedVsVendor(r), "%.2fx")));
        }
        sb.append("targets:\n");
        for (Target t : targets()) {
            sb.append(String.format(Locale.ROOT, "  %-64s %7s >= %.2f  %s%n", t.name(), number(t.ratio(), "%.2f"),
                    t.goal(), t.verdict()));
        }
        return sb.toString();
    }

    /** The JSON document (bench/README.md): numbers that could not be measured are null. */
    public Map<String, Object> json(String date, String commit) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", "kernels");
        m.put("date", date);
        m.put("commit", commit);
        m.put("device", device);
        m.put("l2_bytes", l2Bytes);
        m.put("warmup", warmup);
        m.put("runs", runs);
        m.put("timing", "median of per-call CUDA event times after warm-up; inputs rotated so that the L2 never"
                + " holds a call's operands; bytes and FLOPs from the formula table of bench/README.md");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("copy_gbps", finite(ceilings.copyGBps()));
        c.put("copy_bytes", ceilings.copyBytes());
        c.put("sgemm_gflops", finite(ceilings.sgemmGflops()));
        c.put("sgemm_n", ceilings.sgemmN());
        m.put("ceilings", c);
        List<Object> rows = new ArrayList<>();
        for (KernelResult r : results) {
            KernelCase k = r.kernelCase();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("family", k.family());
            row.put("op", k.op());
            row.put("source", k.source());
            row.put("batch", k.batch());
            row.put("layer", k.layer());
            row.put("shapes", k.spec().shapes());
            row.put("engine", r.engine());
            row.put("detail", r.detail());
            row.put("bytes", k.spec().bytes());
            row.put("flops", k.spec().flops());
            row.put("median_ms", r.medianMs());
            row.put("min_ms", r.minMs());
            row.put("runs", r.runs());
            row.put("input_sets", r.sets());
            row.put("gbps", finite(r.gbps()));
            row.put("gflops", finite(r.gflops()));
            row.put("percent_of_copy", finite(100 * fractionOfCopy(r)));
            row.put("percent_of_sgemm", finite(100 * fractionOfSgemm(r)));
            row.put("speed_vs_vendor", finite(speedVsVendor(r)));
            rows.add(row);
        }
        m.put("results", rows);
        List<Object> targets = new ArrayList<>();
        for (Target t : targets()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("target", t.name());
            row.put("ratio", finite(t.ratio()));
            row.put("goal", t.goal());
            row.put("verdict", t.verdict());
            targets.add(row);
        }
        m.put("targets", targets);
        return m;
    }

    /**
     * The HTML page: one chart per op family, ours beside the vendor where one exists (GFLOP/s for GEMM and
     * convolution, GB/s for the rest), then the targets and the whole table.
     */
    public String html(String subtitle) {
        HtmlReport page = new HtmlReport("KernelNet kernels", subtitle);
        page.note(String.format(Locale.ROOT, "Ceilings measured in this run: device copy %.0f GB/s (read + write), "
                + "cuBLAS SGEMM FP32 at N = %d: %s GFLOP/s.", ceilings.copyGBps(), ceilings.sgemmN(),
                number(ceilings.sgemmGflops(), "%.0f")));
        for (String family : KernelCases.FAMILIES) {
            boolean flops = family.equals(KernelCases.GEMM) || family.equals(KernelCases.CONV);
            String vendor = family.equals(KernelCases.GEMM) ? "cuBLAS" : "cuDNN";
            List<HtmlReport.Group> groups = new ArrayList<>();
            boolean withVendor = false;
            for (KernelResult r : results) {
                if (!r.ours() || !r.kernelCase().family().equals(family)) {
                    continue;
                }
                KernelResult v = vendorOf(r);
                withVendor |= r.kernelCase().hasVendor();
                double ours = flops ? r.gflops() : r.gbps();
                double theirs = v == null ? Double.NaN : flops ? v.gflops() : v.gbps();
                groups.add(new HtmlReport.Group(r.kernelCase().label(), new double[] {ours, theirs}));
            }
            if (groups.isEmpty()) {
                continue;
            }
            String unit = flops ? "GFLOP/s" : "GB/s";
            page.chart(family + ": " + unit + " (higher is better)", "", unit,
                    withVendor ? List.of("KernelNet", vendor) : List.of("KernelNet"), groups);
        }
        List<List<String>> targetRows = new ArrayList<>();
        for (Target t : targets()) {
            targetRows.add(List.of(t.name(), number(t.ratio(), "%.2f"), String.format(Locale.ROOT, ">= %.2f", t.goal()),
                    t.verdict()));
        }
        page.table("Targets", List.of("target", "ratio", "goal", "verdict"), targetRows);
        List<List<String>> rows = new ArrayList<>();
        for (KernelResult r : results) {
            rows.add(List.of(r.kernelCase().label(), r.kernelCase().spec().shapes(), r.engine(), r.detail(),
                    String.format(Locale.ROOT, "%.4f", r.medianMs()), number(r.gbps(), "%.1f"),
                    number(r.gflops(), "%.0f"), number(100 * fractionOfCopy(r), "%.0f"),
                    number(speedVsVendor(r), "%.2f")));
        }
        page.table("All results", List.of("case", "shapes", "engine", "detail", "median ms", "GB/s", "GFLOP/s",
                "% of copy", "speed vs vendor"), rows);
        return page.html();
    }

    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    private static String number(double x, String format) {
        return Double.isFinite(x) ? String.format(Locale.ROOT, format, x) : "-";
    }
}
