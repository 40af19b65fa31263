package io.kernelnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end on the bundled data: train the MLP (the issue's bar: 92.5% test accuracy after 5
 * epochs, batch 128, Adam 0.001), save, evaluate the saved weights to the same accuracy, predict one digit.
 */
class MainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private String run(String... args) throws Exception {
        bytes.reset();
        int status = new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(args);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        return text;
    }

    @Test
    @SuppressWarnings("unchecked")
    void trainSaveEvaluateAndPredictTheMlp() throws Exception {
        Path weights = dir.resolve("mlp.safetensors");
        Path metrics = dir.resolve("metrics.json");
        String trained = run("train", "--model", "mlp", "--epochs", "5", "--device", "cpu", "--save", weights.toString(),
                "--metrics-out", metrics.toString(), "--summary");
        assertTrue(trained.contains("Total params: 101770"), trained);
        assertTrue(trained.contains("Epoch 5/5"), trained);
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(metrics));
        double accuracy = ((Number) m.get("test_accuracy")).doubleValue();
        assertTrue(accuracy >= 0.925, "mlp test accuracy after 5 epochs: " + accuracy);
        assertEquals(5, ((Number) m.get("epochs")).intValue());
        assertEquals("cpu", m.get("device"));
        assertTrue(((Number) m.get("examples_per_second")).doubleValue() > 0);

        String evaluated = run("evaluate", "--weights", weights.toString(), "--device", "cpu");
        assertTrue(evaluated.contains(String.format("accuracy %.4f", accuracy)), evaluated + " vs " + accuracy);

        String predicted = run("predict", "--weights", weights.toString(), "--index", "3", "--device", "cpu");
        assertTrue(predicted.contains("predicted"), predicted);
        assertTrue(predicted.contains("@@"), "the digit drawn as ASCII art:\n" + predicted);
        assertEquals(10, predicted.lines().filter(l -> l.matches("  \\d  \\d\\.\\d{4}.*")).count(), predicted);
    }

    /** The line fit prints for the last epoch and the test line, without the epoch's time. */
    private static String results(String output) {
        return output.lines().filter(l -> l.startsWith("Epoch 3/3") || l.startsWith("test:"))
                .map(l -> l.replaceFirst(" - [0-9.]+s - ", " - "))
                .reduce("", (x, y) -> x + y + "\n");
    }

    @Test
    void aRunResumedFromItsCheckpointEndsAsTheUninterruptedRunDoes() throws Exception {
        Path straight = dir.resolve("straight.safetensors");
        Path resumed = dir.resolve("resumed.safetensors");
        String common = "--device cpu --batch 256 --seed 7 --optimizer sgd";
        String full = run((("train --model mlp --epochs 3 " + common + " --save ") + straight).split(" "));
        String first = run((("train --model mlp --epochs 1 " + common + " --save ") + resumed).split(" "));
        assertTrue(first.contains("Epoch 1/1"), first);
        String rest = run("train", "--resume", resumed.toString(), "--epochs", "3", "--device", "cpu", "--batch", "256",
                "--model", "mlp", "--save", resumed.toString());
        assertTrue(rest.contains("resumed " + resumed + " after epoch 1"), rest);
        assertTrue(rest.contains("Epoch 2/3") && rest.contains("Epoch 3/3") && !rest.contains("Epoch 1/3"), rest);
        assertEquals(results(full), results(rest));
        assertEquals(-1, Files.mismatch(straight, resumed), "the two final checkpoints are the same bytes");
        String done = run("train", "--resume", resumed.toString(), "--epochs", "3", "--device", "cpu");
        assertTrue(!done.contains("Epoch") && done.contains("test:"), "nothing left to train:\n" + done);
    }

    @Test
    void resumeOptionsThatDisagreeWithTheCheckpointAreUsageErrors() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        run("train", "--model", "mlp", "--epochs", "0", "--device", "cpu", "--save", file.toString());
        Main main = new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        for (String[] option : new String[][] {{"--model", "cnn"}, {"--optimizer", "sgd"}, {"--lr", "0.5"}, {"--seed", "3"}}) {
            Args.UsageException e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {
                    "train", "--resume", file.toString(), "--device", "cpu", "--epochs", "0", option[0], option[1]}));
            assertTrue(e.getMessage().contains(option[0] + " " + option[1] + " disagrees with the checkpoint"), e.getMessage());
        }
        run("train", "--resume", file.toString(), "--device", "cpu", "--epochs", "0", "--model", "mlp", "--optimizer",
                "adam", "--lr", "0.001", "--seed", "42");
    }

    @Test
    void infoReportsJavaAndWhyThereIsNoGpu() throws Exception {
        String info = run("info");
        assertTrue(info.contains("java"), info);
    }

    @Test
    void mistakesOnTheCommandLineAreUsageErrors() {
        Main main = new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Args.UsageException e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {"train", "--epochs"}));
        assertTrue(e.getMessage().contains("--epochs needs a value"), e.getMessage());
        e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {"train", "--bogus", "1"}));
        assertTrue(e.getMessage().contains("unknown option --bogus"), e.getMessage());
        e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {"train", "--batch", "zero"}));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {"evaluate"}));
        assertTrue(e.getMessage().contains("--weights is required"), e.getMessage());
        e = assertThrows(Args.UsageException.class, () -> main.run(new String[] {"fly"}));
        assertTrue(e.getMessage().contains("unknown command 'fly'"), e.getMessage());
    }

    @Test
    void aMissingDataDirectoryNamesTheFile() {
        Main main = new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Exception e = assertThrows(Exception.class, () -> main.run(new String[] {"train", "--data", dir.toString(), "--device", "cpu"}));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }
}
