package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.nn.Model;
import io.kernelnet.testing.TestRandom;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint writer killed with SIGKILL at a random moment never leaves a broken checkpoint: a child JVM
 * ({@link CheckpointWriterLoop}) saves version after version to one file, the test kills it, and the file must
 * load as one complete version, the last one reported or the one after it. Temporary files of a killed write
 * are deleted by the next round's first save, so at most the latest kill's one is ever there.
 */
class KillDuringSaveTest {
    private static final int ROUNDS = 8;
    private static final int MAX_DELAY_MILLIS = 150;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    @Test
    void aWriterKilledAtAnyMomentLeavesACompleteCheckpoint() throws Exception {
        System.out.println("KillDuringSaveTest: seed " + rng.seed() + " (replay with -Dkernelnet.test.seed=" + rng.seed() + ")");
        Path file = dir.resolve("loop.safetensors");
        Path logs = Files.createDirectory(dir.resolve("logs"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int nextVersion = 1;
        int killedMidWrite = 0;
        for (int round = 0; round < ROUNDS; round++) {
            // A file, not a pipe: what the child printed before the kill can be read in full after it.
            Path log = Files.createTempFile(logs, "round" + round, ".log");
            Process child = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), CheckpointWriterLoop.class.getName(),
                    file.toString(), Integer.toString(nextVersion))
                    .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            awaitFirstSave(child, log);
            Thread.sleep(rng.nextInt(MAX_DELAY_MILLIS));
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the killed writer did not exit");
            List<String> reported = Files.readAllLines(log);
            int lastReported = version(reported.get(reported.size() - 1));
            int found = assertCompleteVersion(file);
            assertTrue(found == lastReported || found == lastReported + 1, "round " + round + ": the checkpoint is version "
                    + found + " but the writer last reported " + lastReported);
            List<Path> temporary = temporaryFiles(file);
            assertTrue(temporary.size() <= 1, "leftovers of earlier kills were not deleted: " + temporary);
            killedMidWrite += temporary.size();
            nextVersion = found + 1;
        }
        System.out.println("KillDuringSaveTest: " + ROUNDS + " kills, " + killedMidWrite
                + " of them during a write (a temporary file left), last version " + (nextVersion - 1));
    }

    /** Waits until the child has saved once in this round, so that its first save also deleted older leftovers. */
    private static void awaitFirstSave(Process child, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log).contains("\n")) {
            if (!child.isAlive()) {
                fail("the writer exited with status " + child.exitValue() + " before its first save");
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                fail("the writer did not save within a minute");
            }
            Thread.sleep(2);
        }
    }

    private static int version(String line) {
        assertTrue(line.startsWith("saved "), line);
        return Integer.parseInt(line.substring("saved ".length()));
    }

    /** Loads {@code file} and checks that weights, optimizer state and counters all carry one version. */
    private static int assertCompleteVersion(Path file) throws Exception {
        try (Backend cpu = new CpuBackend(); Model m = Checkpoints.load(file, cpu, 1)) {
            int version = m.epochsDone();
            assertEquals(version, m.stepCount());
            assertEquals(version, m.state().generatorOffset());
            assertAll(m.parameters(), version);
            assertAll(m.state().optimizerState(), version);
            return version;
        }
    }

    private static void assertAll(Map<String, float[]> tensors, int version) {
        tensors.forEach((name, values) -> {
            for (float v : values) {
                assertEquals(version, v, name + " of version " + version);
            }
        });
    }

    private static List<Path> temporaryFiles(Path file) throws Exception {
        try (Stream<Path> files = Files.list(file.getParent())) {
            return files.filter(p -> !p.equals(file) && !Files.isDirectory(p)).toList();
        }
    }
}
