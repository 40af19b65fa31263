package io.kernelnet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.data.MnistLoader;
import io.kernelnet.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
            UsageException e = assertThrows(UsageException.class, () -> main.run(new String[] {
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
        UsageException e = assertThrows(UsageException.class, () -> main.run(new String[] {"train", "--epochs"}));
        assertTrue(e.getMessage().contains("--epochs needs a value"), e.getMessage());
        e = assertThrows(UsageException.class, () -> main.run(new String[] {"train", "--bogus", "1"}));
        assertTrue(e.getMessage().contains("unknown option --bogus"), e.getMessage());
        e = assertThrows(UsageException.class, () -> main.run(new String[] {"train", "--batch", "zero"}));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        e = assertThrows(UsageException.class, () -> main.run(new String[] {"evaluate"}));
        assertTrue(e.getMessage().contains("--weights is required"), e.getMessage());
        e = assertThrows(UsageException.class, () -> main.run(new String[] {"fly"}));
        assertTrue(e.getMessage().contains("unknown command 'fly'"), e.getMessage());
        String[][] bench = {
            {"bench"}, {"expected 'bench train' or 'bench kernels', got nothing after 'bench'"},
            {"bench", "fly"}, {"bench: unknown command 'fly' (commands: train, kernels)"},
            {"bench", "train", "--models", "mlp,rnn"}, {"--models takes mlp and cnn, got 'rnn'"},
            {"bench", "train", "--models", "mlp,mlp"}, {"--models names 'mlp' twice"},
            {"bench", "train", "--batches", "128,"}, {"--batches has an empty item"},
            {"bench", "train", "--batches", "0"}, {"--batches takes whole numbers >= 1, got 0"},
            {"bench", "train", "--batches", "4096", "--steps-per-run", "1000"}, {"is over 1048576 examples"},
            {"bench", "train", "--device", "tpu"}, {"tpu"},
            {"bench", "train", "--pytorch", "/no/such/file.json"}, {"/no/such/file.json"},
            {"bench", "kernels", "--device", "cpu"}, {"--device must be cuda or cuda:N, got 'cpu': it times CUDA events"},
            {"bench", "kernels", "--device", "auto"}, {"--device must be cuda or cuda:N, got 'auto'"},
            {"bench", "kernels", "--models", "rnn"}, {"--models takes mlp and cnn, got 'rnn'"},
            {"bench", "kernels", "--batches", "0"}, {"--batches takes whole numbers >= 1, got 0"},
            {"bench", "kernels", "--large-mib", "0"}, {"--large-mib must be >= 1, got 0"},
            {"bench", "kernels", "--large-mib", "4096"}, {"--large-mib must be at most 2048"},
            {"bench", "kernels", "--runs", "2"}, {"--runs must be >= 5, got 2"},
            {"bench", "kernels", "--steps-per-run", "2"}, {"unknown option --steps-per-run"},
        };
        for (int i = 0; i < bench.length; i += 2) {
            String[] argv = bench[i];
            e = assertThrows(UsageException.class, () -> main.run(argv), String.join(" ", argv));
            assertTrue(e.getMessage().contains(bench[i + 1][0]), e.getMessage());
        }
    }

    /** A command, then options its --help must list, then options of other commands it must not. */
    static Stream<Arguments> helpOfEveryCommand() {
        return Stream.of(
                Arguments.of(List.of(), List.of("train", "evaluate", "predict", "info", "selftest", "bench"), List.of("--epochs")),
                Arguments.of(List.of("train"), List.of("--model", "--data", "--epochs", "--batch", "--lr", "--optimizer",
                        "--device", "--engine", "--tf32", "--seed", "--save", "--metrics-out", "--log", "--summary",
                        "--deterministic", "--resume", "--no-graphs"), List.of("--weights", "--index")),
                Arguments.of(List.of("evaluate"), List.of("--weights", "--data", "--device", "--engine", "--batch", "--tf32",
                        "--deterministic"), List.of("--epochs", "--index", "--no-graphs")),
                Arguments.of(List.of("predict"), List.of("--weights", "--index", "--data", "--device"), List.of("--epochs")),
                Arguments.of(List.of("info"), List.of("--help"), List.of("--device")),
                Arguments.of(List.of("selftest"), List.of("--device", "--engine", "--tf32", "--deterministic"),
                        List.of("--data", "--weights")),
                Arguments.of(List.of("bench"), List.of("train", "kernels"), List.of("--models")),
                Arguments.of(List.of("bench", "train"), List.of("--device", "--engine", "--tf32", "--no-graphs", "--models",
                        "--batches", "--warmup", "--warmup-seconds", "--runs", "--steps-per-run", "--out", "--pytorch",
                        "--html", "--gemm", "--conv"), List.of("--large-mib", "--epochs")),
                Arguments.of(List.of("bench", "kernels"), List.of("--device", "--models", "--batches", "--large-mib",
                        "--warmup", "--runs", "--out", "--html"), List.of("--steps-per-run", "--engine")));
    }

    @ParameterizedTest
    @MethodSource("helpOfEveryCommand")
    void everyCommandAnswersHelpWithItsOwnOptions(List<String> command, List<String> listed, List<String> notListed)
            throws Exception {
        for (String help : List.of("--help", "-h")) {
            List<String> argv = new java.util.ArrayList<>(command);
            argv.add(help);
            String text = run(argv.toArray(String[]::new));
            assertTrue(text.startsWith("Usage: kernelnet" + (command.isEmpty() ? "" : " " + String.join(" ", command))),
                    text);
            for (String option : listed) {
                assertTrue(text.contains(option), String.join(" ", argv) + " should list " + option + ":\n" + text);
            }
            for (String option : notListed) {
                assertFalse(text.contains(option + " "), String.join(" ", argv) + " lists " + option + ":\n" + text);
            }
            assertFalse(text.contains("\u001b"), "no terminal escapes: " + text);
        }
    }

    @Test
    void helpNamesACommandAndNoArgumentsIsAUsageError() throws Exception {
        assertEquals(run("train", "--help"), run("help", "train"));
        bytes.reset();
        assertEquals(2, new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(new String[0]));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("Usage: kernelnet [-h] <command>"), bytes.toString());
    }

    @ParameterizedTest
    @MethodSource("helpOfEveryCommand")
    void anUnknownOptionIsAUsageErrorListingTheCommandsOwnOptions(List<String> command, List<String> listed,
                                                                 List<String> notListed) {
        List<String> argv = new java.util.ArrayList<>(command);
        argv.add("--bogus");
        Outcome o = execute(argv.toArray(String[]::new));
        assertEquals(2, o.status(), o.err());
        String name = command.isEmpty() ? "" : String.join(" ", command) + ": ";
        o.saysInOneLine("kernelnet: " + name + "unknown option --bogus (known: ", "--help");
        for (String option : listed) {
            assertTrue(!option.startsWith("--") || o.err().contains(option), o.err() + " should name " + option);
        }
    }

    @Test
    void withoutTheBenchJarBenchSaysWhereTheBenchmarksAre() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main main = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), "io.kernelnet.bench.NoSuchCommand");
        int status = main.execute(new String[] {"bench", "train", "--device", "cpu"},
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, status);
        Outcome o = new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        o.saysInOneLine("bench: the benchmarks are not on the class path", "target/kernelnet-bench.jar", "mvn package");
        assertEquals(0, main.run(new String[] {"bench", "--help"}));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("kernelnet-bench.jar"), out.toString());
    }

    @Test
    void theProductClassesHaveNoBenchmarks() throws Exception {
        Path product = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path bench = Path.of(Class.forName(Main.BENCH_COMMAND).getProtectionDomain().getCodeSource().getLocation().toURI());
        assertFalse(Files.exists(product.resolve("io/kernelnet/bench")), product + " holds benchmark classes");
        assertFalse(product.equals(bench), "the bench commands come from elsewhere: " + bench);
    }

    /** Exit status, standard output and standard error of one in-process run of {@code kernelnet args}. */
    private record Outcome(int status, String out, String err) {
        /** Standard error is one line "kernelnet: ..." mentioning every fragment, and no stack trace. */
        void saysInOneLine(String... fragments) {
            assertEquals(1, err.lines().count(), "one line on standard error: " + err);
            assertTrue(err.startsWith("kernelnet: "), err);
            assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
            for (String f : fragments) {
                assertTrue(err.contains(f), "standard error should mention \"" + f + "\": " + err);
            }
        }
    }

    private static Outcome execute(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new Main(new PrintStream(out, true, StandardCharsets.UTF_8))
                .execute(args, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Arguments, then what the one line on standard error must mention. */
    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of(List.of("fly"), List.of("unknown command 'fly'")),
                Arguments.of(List.of("train", "--bogus", "1"), List.of("train: unknown option --bogus", "--epochs")),
                Arguments.of(List.of("info", "--verbose"), List.of("info: unknown option --verbose")),
                Arguments.of(List.of("train", "stray"), List.of("unexpected argument 'stray'")),
                Arguments.of(List.of("train", "--epochs"), List.of("--epochs needs a value")),
                Arguments.of(List.of("train", "--epochs", "--batch", "8"), List.of("--epochs needs a value")),
                Arguments.of(List.of("train", "--epochs="), List.of("--epochs needs a value")),
                Arguments.of(List.of("train", "--epochs", "1", "--epochs", "2"), List.of("--epochs is given twice")),
                Arguments.of(List.of("train", "--summary=yes"), List.of("--summary takes no value", "'yes'")),
                Arguments.of(List.of("train", "--epochs", "x"), List.of("--epochs takes a whole number", "'x'")),
                Arguments.of(List.of("train", "--epochs", "-1"), List.of("--epochs must be >= 0", "-1")),
                Arguments.of(List.of("train", "--batch", "0"), List.of("--batch must be >= 1", "0")),
                Arguments.of(List.of("train", "--batch", "1e9"), List.of("--batch takes a whole number", "'1e9'")),
                Arguments.of(List.of("train", "--seed", "99999999999"), List.of("--seed", "'99999999999'")),
                Arguments.of(List.of("train", "--lr", "-1"), List.of("--lr must be a finite number > 0", "'-1'")),
                Arguments.of(List.of("train", "--lr", "0"), List.of("--lr must be a finite number > 0", "'0'")),
                Arguments.of(List.of("train", "--lr", "NaN"), List.of("--lr must be a finite number > 0", "'NaN'")),
                Arguments.of(List.of("train", "--lr", "fast"), List.of("--lr takes a number", "'fast'")),
                Arguments.of(List.of("train", "--optimizer", "rmsprop"), List.of("--optimizer must be adam or sgd", "'rmsprop'")),
                Arguments.of(List.of("train", "--model", "resnet"), List.of("--model must be mlp or cnn", "'resnet'")),
                Arguments.of(List.of("train", "--device", "tpu"), List.of("train: --device must be", "'tpu'")),
                Arguments.of(List.of("train", "--device", "cuda:x"), List.of("--device must be", "'cuda:x'")),
                Arguments.of(List.of("train", "--engine", "magic"), List.of("train: --engine must be auto, kernels or vendor", "'magic'")),
                Arguments.of(List.of("selftest", "--engine", "magic"), List.of("selftest: --engine must be", "'magic'")),
                Arguments.of(List.of("evaluate"), List.of("evaluate: --weights is required")),
                Arguments.of(List.of("evaluate", "--weights", "no-such.safetensors"), List.of("--weights no-such.safetensors: no such file")),
                Arguments.of(List.of("train", "--data", "no-such-dir"), List.of("--data no-such-dir: no such directory")),
                Arguments.of(List.of("train", "--save", "no-such-dir/m.safetensors"), List.of("--save", "does not exist")),
                Arguments.of(List.of("train", "--metrics-out", "no-such-dir/m.json"), List.of("--metrics-out", "does not exist")),
                Arguments.of(List.of("train", "--log", "no-such-dir/log.csv"), List.of("--log", "does not exist")));
    }

    @ParameterizedTest
    @MethodSource("usageErrors")
    void usageErrorsSayWhatIsWrongInOneLineAndExitWith2(List<String> args, List<String> mentions) {
        Outcome o = execute(args.toArray(String[]::new));
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine(mentions.toArray(String[]::new));
        assertEquals("", o.out(), "nothing ran");
    }

    @Test
    void fileAndDirectoryMistakesAreUsageErrors() throws Exception {
        Outcome o = execute("train", "--data", dir.toString());
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine("--data", dir.toString(), MnistLoader.TRAIN_IMAGES);

        Path file = Files.writeString(dir.resolve("notes.txt"), "not a directory");
        o = execute("train", "--data", file.toString());
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine("--data", "not a directory");

        o = execute("evaluate", "--weights", dir.toString());
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine("--weights", "not a regular file");

        o = execute("train", "--save", dir.toString());
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine("--save", "is a directory");

        o = execute("predict", "--weights", file.toString(), "--index", "2000", "--device", "cpu");
        assertEquals(2, o.status(), o.err());
        o.saysInOneLine("--index 2000 is outside the 2000 test examples");
    }

    @Test
    void aCorruptCheckpointIsAFailureWithoutAStackTrace() throws Exception {
        Path corrupt = Files.write(dir.resolve("corrupt.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        Outcome o = execute("evaluate", "--weights", corrupt.toString(), "--device", "cpu");
        assertEquals(1, o.status(), o.err());
        o.saysInOneLine(corrupt.toString());
    }

    @Test
    void divergedTrainingIsAFailureAndLeavesTheSavedFileAlone() throws Exception {
        byte[] earlier = {42, 42, 42};
        Path weights = Files.write(dir.resolve("earlier.safetensors"), earlier);
        // Adam's first step moves the weights by about 1e30; the second forward pass overflows
        Outcome o = execute("train", "--model", "mlp", "--epochs", "1", "--lr", "1e30", "--device", "cpu",
                "--save", weights.toString());
        assertEquals(1, o.status(), o.err());
        o.saysInOneLine("training diverged at epoch 1, step 2", "layer dense_1 (Dense): non-finite output");
        assertArrayEquals(earlier, Files.readAllBytes(weights), "the file from before is untouched");
    }

    @Test
    void anUnusableGpuIsAFailureWithoutAStackTrace() {
        Availability cuda = CudaRuntime.availability();
        assumeFalse(cuda.usable(), "this machine has a usable GPU");
        Outcome o = execute("selftest", "--device", "cuda");
        assertEquals(1, o.status(), o.err());
        o.saysInOneLine();
    }

    @Test
    void deterministicIsANoOpOnTheCpu() throws Exception {
        Path first = dir.resolve("first.safetensors");
        Path second = dir.resolve("second.safetensors");
        for (Path weights : List.of(first, second)) {
            Outcome o = execute("train", "--model", "mlp", "--epochs", "1", "--batch", "256", "--device", "cpu",
                    "--deterministic", "--save", weights.toString());
            assertEquals(0, o.status(), o.err());
        }
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second), "two runs, the same bytes");
    }

    @Test
    void aMissingDataDirectoryNamesTheFile() {
        Main main = new Main(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        UsageException e = assertThrows(UsageException.class, () -> main.run(new String[] {"train", "--data", dir.toString(), "--device", "cpu"}));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }
}
