package io.kernelnet.train;

import java.io.PrintStream;
import java.util.Map;

/**
 * Keras-style progress for one epoch: on a terminal a bar redrawn in place
 * ({@code 42/63 [=============>.....] - ETA: 3s - loss: 0.2345 - accuracy: 0.9312}); otherwise nothing until
 * {@link #finish}, which prints one plain line.
 */
public final class ProgressBar {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String title;
    private final int total;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDraw;

    public ProgressBar(PrintStream out, String title, int total, boolean terminal) {
        this.out = out;
        this.title = title;
        this.total = total;
        this.terminal = terminal;
    }

    /** Whether standard output is an interactive terminal. */
    public static boolean stdoutIsTerminal() {
        String term = System.getenv("TERM");
        return System.console() != null && term != null && !term.equals("dumb");
    }

    /** Whether {@link #update} would redraw now: fit() fetches the numbers from the device only then. */
    public boolean due(int done) {
        return terminal && (done >= total || System.nanoTime() - lastDraw >= REDRAW_NANOS);
    }

    public void update(int done, Map<String, Double> metrics) {
        if (!due(done)) {
            return;
        }
        long now = System.nanoTime();
        lastDraw = now;
        double elapsed = (now - startNanos) / 1e9;
        double eta = done == 0 ? 0 : elapsed / done * (total - done);
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        StringBuilder bar = new StringBuilder("[");
        for (int i = 0; i < WIDTH; i++) {
            bar.append(i < filled ? '=' : i == filled ? '>' : '.');
        }
        bar.append(']');
        StatusLine.show(out, title + " " + done + "/" + total + " " + bar + " - ETA: " + Math.round(eta) + "s"
                + format(metrics));
    }

    /** Ends the epoch's line with its totals. */
    public void finish(Map<String, Double> metrics) {
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        String line = title + " " + total + "/" + total + " - " + String.format("%.1fs", elapsed) + format(metrics);
        if (terminal) {
            StatusLine.end(out, line);
        } else {
            out.println(line);
            out.flush();
        }
    }

    private static String format(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> sb.append(" - ").append(k).append(": ").append(String.format("%.4f", v)));
        return sb.toString();
    }
}
