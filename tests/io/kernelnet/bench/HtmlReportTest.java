package io.kernelnet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The training chart: one chart per model, each on its own scale, so the slower model's bars stay visible. */
class HtmlReportTest {
    private static final Pattern BAR = Pattern.compile("<rect x=\"\\d+\" y=\"\\d+\" width=\"([0-9.]+)\" height=\"16\"");

    /** The widths of the bars of each chart, in page order. */
    private static List<List<Double>> barWidths(String html) {
        List<List<Double>> charts = new ArrayList<>();
        for (String svg : html.split("<svg")) {
            if (!svg.contains("</svg>")) {
                continue;
            }
            List<Double> widths = new ArrayList<>();
            Matcher m = BAR.matcher(svg);
            while (m.find()) {
                widths.add(Double.parseDouble(m.group(1)));
            }
            charts.add(widths);
        }
        return charts;
    }

    @Test
    void eachModelIsDrawnOnItsOwnScale() {
        HtmlReport report = new HtmlReport("t", "s");
        report.trainChart(List.of(new TrainBench.Result("mlp", 128, 1, 1, new double[] {200_000}),
                new TrainBench.Result("mlp", 512, 1, 1, new double[] {400_000}),
                new TrainBench.Result("cnn", 128, 1, 1, new double[] {2_000}),
                new TrainBench.Result("cnn", 512, 1, 1, new double[] {1_000})), null);
        String html = report.html();
        assertTrue(html.contains("Training step, mlp: examples per second"), html);
        assertTrue(html.contains("Training step, cnn: examples per second"), html);
        List<List<Double>> charts = barWidths(html);
        assertEquals(2, charts.size(), html);
        List<Double> mlp = charts.get(0);
        List<Double> cnn = charts.get(1);
        assertEquals(mlp.get(1), cnn.get(0), "each chart's fastest bar spans the chart");
        assertEquals(mlp.get(1) / 2, mlp.get(0), 0.1);
        assertEquals(cnn.get(0) / 2, cnn.get(1), 0.1);
        assertFalse(html.toLowerCase(java.util.Locale.ROOT).contains("issue"), "it speaks of targets");
    }
}
