package io.kernelnet.bench;

import io.kernelnet.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One self-contained HTML page of benchmark results: inline SVG bar charts (no script, no stylesheet or font from
 * the network), one per op family, each comparing ours with the peer (PyTorch, cuBLAS, cuDNN); tables as plain
 * HTML. A missing peer figure is drawn as "n/a", never as a zero-length bar.
 */
public final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"};
    private static final int WIDTH = 820;
    private static final int LABEL_WIDTH = 250;
    private static final int BAR_HEIGHT = 16;
    private static final int BAR_GAP = 3;
    private static final int GROUP_GAP = 12;

    /** Bars of one label, one value per series (NaN where that series has none). */
    public record Group(String label, double[] values) {
    }

    private final String title;
    private final String subtitle;
    private final StringBuilder body = new StringBuilder();

    public HtmlReport(String title, String subtitle) {
        this.title = title;
        this.subtitle = subtitle;
    }

    /**
     * Training examples per second: ours, PyTorch eager and torch.compile (when {@code pytorch} is given), one chart
     * per model, each on its own scale (the mlp's steps are many times faster than the cnn's).
     */
    public void trainChart(List<TrainBench.Result> ours, PyTorchTimes pytorch) {
        List<String> series = pytorch == null ? List.of("KernelNet")
                : List.of("KernelNet", "PyTorch eager", "torch.compile");
        Map<String, List<Group>> byModel = new LinkedHashMap<>();
        for (TrainBench.Result r : ours) {
            double[] v = pytorch == null ? new double[] {r.median()}
                    : new double[] {r.median(), pytorch.rate(r.model(), r.batch(), PyTorchTimes.EAGER),
                        pytorch.rate(r.model(), r.batch(), PyTorchTimes.COMPILE)};
            byModel.computeIfAbsent(r.model(), m -> new ArrayList<>()).add(new Group("batch " + r.batch(), v));
        }
        byModel.forEach((model, groups) -> chart("Training step, " + model + ": examples per second (higher is better)",
                pytorch == null ? "" : "PyTorch: " + pytorch.framework() + " on " + pytorch.device(), "ex/s", series,
                groups));
    }

    /** GFLOP/s of our GEMM and cuBLAS's from GemmBench's JSON, one chart; a note when the file cannot be read. */
    public void gemmChart(Path file) {
        Map<String, Object> root = readBench(file, "gemm");
        if (root == null) {
            return;
        }
        Map<String, double[]> byKey = new LinkedHashMap<>();
        for (Map<?, ?> r : results(root)) {
            String key = "N = " + r.get("n") + ", " + r.get("precision");
            int s = "vendor".equals(r.get("engine")) ? 1 : 0;
            double[] v = byKey.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN});
            v[s] = number(r.get("gflops"));
        }
        List<Group> groups = new ArrayList<>();
        byKey.forEach((k, v) -> groups.add(new Group(k, v)));
        chart("GEMM: GFLOP/s (higher is better)", String.valueOf(root.get("device")), "GFLOP/s",
                List.of("KernelNet kernels", "cuBLAS"), groups);
    }

    /**
     * Milliseconds per call of our conv and pool kernels and cuDNN's from ConvBench's JSON: one chart for the
     * convolutions and one for the pooling; a note when the file cannot be read.
     */
    public void convCharts(Path file) {
        Map<String, Object> root = readBench(file, "conv");
        if (root == null) {
            return;
        }
        for (String family : new String[] {"conv2d", "max_pooling2d"}) {
            Map<String, double[]> byKey = new LinkedHashMap<>();
            for (Map<?, ?> r : results(root)) {
                String layer = String.valueOf(r.get("layer"));
                if (!layer.equals(family) && !layer.startsWith(family + "_")) {
                    continue;
                }
                int s = "kernels".equals(r.get("engine")) ? 0 : 1;
                double[] v = byKey.computeIfAbsent(layer + " " + r.get("pass"), k -> new double[] {Double.NaN, Double.NaN});
                v[s] = number(r.get("median_ms"));
            }
            List<Group> groups = new ArrayList<>();
            byKey.forEach((k, v) -> groups.add(new Group(k, v)));
            String name = family.equals("conv2d") ? "Convolution" : "Max pooling";
            chart(name + ": ms per call, batch " + root.get("batch") + " (lower is better)",
                    String.valueOf(root.get("device")), "ms", List.of("KernelNet kernels", "cuDNN"), groups);
        }
    }

    /** A plain table. */
    public void table(String caption, List<String> headers, List<List<String>> rows) {
        body.append("<h2>").append(escape(caption)).append("</h2>\n<table>\n<tr>");
        headers.forEach(h -> body.append("<th>").append(escape(h)).append("</th>"));
        body.append("</tr>\n");
        for (List<String> row : rows) {
            body.append("<tr>");
            row.forEach(c -> body.append("<td>").append(escape(c)).append("</td>"));
            body.append("</tr>\n");
        }
        body.append("</table>\n");
    }

    /** A paragraph of text. */
    public void note(String text) {
        body.append("<p class=\"note\">").append(escape(text)).append("</p>\n");
    }

    /** One horizontal grouped bar chart as inline SVG, bars scaled to the largest finite value. */
    public void chart(String caption, String detail, String unit, List<String> series, List<Group> groups) {
        body.append("<h2>").append(escape(caption)).append("</h2>\n");
        if (!detail.isEmpty()) {
            body.append("<p class=\"note\">").append(escape(detail)).append("</p>\n");
        }
        double max = 0;
        for (Group g : groups) {
            for (double v : g.values()) {
                if (Double.isFinite(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        int legend = 24;
        int groupHeight = series.size() * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP;
        int height = legend + Math.max(1, groups.size()) * groupHeight;
        int barSpace = WIDTH - LABEL_WIDTH - 110;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n", WIDTH, height, WIDTH, height,
                escape(caption)));
        for (int s = 0; s < series.size(); s++) {
            int x = LABEL_WIDTH + s * 170;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"14\">%s</text>%n", x, color(s), x + 16, escape(series.get(s))));
        }
        if (groups.isEmpty()) {
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">no results</text>%n", LABEL_WIDTH,
                    legend + 14));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            int y0 = legend + gi * groupHeight;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL_WIDTH - 8, y0 + BAR_HEIGHT - 3, escape(g.label())));
            for (int s = 0; s < series.size(); s++) {
                int y = y0 + s * (BAR_HEIGHT + BAR_GAP);
                double v = s < g.values().length ? g.values()[s] : Double.NaN;
                if (!Double.isFinite(v) || max <= 0) {
                    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"na\">%s: n/a</text>%n",
                            LABEL_WIDTH + 2, y + BAR_HEIGHT - 3, escape(series.get(s))));
                    continue;
                }
                double w = Math.max(1, v / max * barSpace);
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                                + "<title>%s: %s %s</title></rect><text x=\"%.1f\" y=\"%d\">%s</text>%n",
                        LABEL_WIDTH, y, w, BAR_HEIGHT, color(s), escape(series.get(s)), value(v), escape(unit),
                        LABEL_WIDTH + w + 4, y + BAR_HEIGHT - 3, value(v)));
            }
        }
        svg.append("</svg>\n");
        body.append(svg);
    }

    /** The whole page. */
    public String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                + "</title>\n<style>\nbody { font-family: sans-serif; margin: 2em; }\n"
                + "svg text { font-size: 12px; font-family: sans-serif; }\nsvg text.na { fill: #888; }\n"
                + "table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 2px 8px; }\n"
                + "p.note { color: #555; }\n</style>\n</head>\n<body>\n<h1>" + escape(title) + "</h1>\n<p>"
                + escape(subtitle) + "</p>\n" + body + "</body>\n</html>\n";
    }

    /** Text for HTML element content and attribute values. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String color(int series) {
        return COLORS[series % COLORS.length];
    }

    private static String value(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The bench file's top-level object when it is a readable {@code bench} file, else null and a note. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> readBench(Path file, String bench) {
        try {
            Object root = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (root instanceof Map<?, ?> m && bench.equals(m.get("bench")) && m.get("results") instanceof List<?>) {
                return (Map<String, Object>) m;
            }
            note(file + ": not a " + bench + " bench file");
        } catch (IOException | IllegalArgumentException e) {
            note(file + ": could not be read: " + e.getMessage());
        }
        return null;
    }

    private static List<Map<?, ?>> results(Map<String, Object> root) {
        List<Map<?, ?>> out = new ArrayList<>();
        for (Object o : (List<?>) root.get("results")) {
            if (o instanceof Map<?, ?> m) {
                out.add(m);
            }
        }
        return out;
    }
}
