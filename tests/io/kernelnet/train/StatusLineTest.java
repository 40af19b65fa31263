package io.kernelnet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The progress bar and log lines on one screen (stdout and stderr of a terminal, here one buffer): a log line clears
 * the bar's line first and the bar is redrawn after it; without a terminal, plain lines and no escapes.
 */
class StatusLineTest {
    private static final String CLEAR = "\u001b[K";

    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8);
    private final PrintStream log = StatusLine.around(new PrintStream(screen, true, StandardCharsets.UTF_8));

    private String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aLogLineClearsTheBarAndTheBarIsRedrawnBelowIt() {
        ProgressBar bar = new ProgressBar(out, "Epoch 1/1", 10, true);
        bar.update(4, Map.of("loss", 0.5));
        String drawn = screen();
        String barText = drawn.substring(1, drawn.length() - CLEAR.length());
        assertEquals("\r" + barText + CLEAR, drawn);
        screen.reset();

        log.print("[main] INFO opened ");
        log.print("cuda:0");
        assertEquals("", screen(), "a partial line waits while the bar is shown");
        log.println();
        assertEquals("\r" + CLEAR + "[main] INFO opened cuda:0\n" + "\r" + barText + CLEAR, screen());
        screen.reset();

        bar.finish(Map.of("loss", 0.25));
        assertEquals(true, screen().startsWith("\rEpoch 1/1 10/10 - ") && screen().endsWith(" - loss: 0.2500" + CLEAR + "\n"),
                screen());
        screen.reset();
        log.println("after the epoch");
        assertEquals("after the epoch\n", screen(), "no bar left to clear");
    }

    @Test
    void withoutATerminalTheBarIsOnePlainLineAndLogLinesPassThrough() {
        ProgressBar bar = new ProgressBar(out, "Epoch 1/2", 10, false);
        bar.update(4, Map.of("loss", 0.5));
        log.println("a log line");
        bar.finish(Map.of("loss", 0.25));
        String text = screen();
        assertEquals("a log line\n", text.substring(0, text.indexOf('\n') + 1));
        assertEquals(true, text.substring(text.indexOf('\n') + 1).matches("Epoch 1/2 10/10 - [0-9.]+s - loss: 0.2500\n"), text);
        assertFalse(text.contains("\u001b") || text.contains("\r"), "no escapes: " + text);
    }
}
