package io.kernelnet.train;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * The terminal's status line (the progress bar, redrawn in place with a carriage return) and the other lines written
 * around it. Standard output and standard error share one screen: a log line written to stderr while the bar stands
 * unfinished on stdout would be glued to the bar's end. A stream made by {@link #around} holds each line until its
 * newline, then clears the bar's line, writes the line and redraws the bar below it. One status line per process,
 * since there is one screen.
 */
public final class StatusLine {
    private static final String CLEAR_TO_END = "\u001b[K";
    private static final Object SCREEN = new Object();
    private static PrintStream shownOn;
    private static String shown;

    private StatusLine() {
    }

    /** Draws {@code text} over the line the cursor is on, and keeps it to redraw after other lines. */
    static void show(PrintStream out, String text) {
        draw(out, text, "", text);
    }

    /** Replaces the status line by {@code line}, ended: later lines go below it. */
    static void end(PrintStream out, String line) {
        draw(out, line, System.lineSeparator(), null);
    }

    private static void draw(PrintStream out, String text, String ending, String kept) {
        synchronized (SCREEN) {
            out.print("\r" + text + CLEAR_TO_END + ending);
            out.flush();
            shownOn = kept == null ? null : out;
            shown = kept;
        }
    }

    /** {@code lines}, with each complete line written around the status line (install it as System.err). */
    public static PrintStream around(PrintStream lines) {
        return new PrintStream(new AroundStatus(lines), true);
    }

    private static final class AroundStatus extends OutputStream {
        private final PrintStream target;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        AroundStatus(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            synchronized (SCREEN) {
                pending.write(b);
                if (b == '\n') {
                    writeLine();
                }
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            synchronized (SCREEN) {
                for (int i = offset; i < offset + length; i++) {
                    write(bytes[i]);
                }
            }
        }

        /** A partial line goes out when no status line would be glued to it; else it waits for its newline. */
        @Override
        public void flush() {
            synchronized (SCREEN) {
                if (shownOn == null && pending.size() > 0) {
                    target.write(pending.toByteArray(), 0, pending.size());
                    pending.reset();
                }
                target.flush();
            }
        }

        private void writeLine() {
            if (shownOn != null) {
                shownOn.print("\r" + CLEAR_TO_END);
                shownOn.flush();
            }
            target.write(pending.toByteArray(), 0, pending.size());
            target.flush();
            pending.reset();
            if (shownOn != null) {
                shownOn.print("\r" + shown + CLEAR_TO_END);
                shownOn.flush();
            }
        }
    }
}
