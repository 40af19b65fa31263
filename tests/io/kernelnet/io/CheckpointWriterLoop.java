package io.kernelnet.io;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Loss;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The child process of {@link KillDuringSaveTest}: saves version after version of a small model's checkpoint
 * to one file until it is killed, printing "saved V" after each save. Version V has every weight and every
 * optimizer state value equal to V and every training counter equal to V, so a reader can tell a complete
 * version from a mix of two.
 *
 * <p>Usage: {@code CheckpointWriterLoop FILE FIRST_VERSION}
 */
public final class CheckpointWriterLoop {
    private CheckpointWriterLoop() {
    }

    /** About 150k floats (600 KB) per checkpoint with Adam's two moments, so that a save takes a while. */
    static Model model() {
        Model m = new Sequential(64).add(new Dense(256, "relu")).add(new Dense(128));
        m.compile(new Adam(), Loss.MSE);
        return m;
    }

    /** Sets weights, optimizer state and counters to {@code version}. */
    static void becomeVersion(Model m, int version) {
        m.parameterShapes().forEach((name, shape) -> m.setParameter(name, filled(shape.size(), version)));
        m.state().optimizerStateShapes().forEach((name, shape) ->
                m.state().setOptimizerState(name, filled(shape.size(), version)));
        m.state().restoreCounters(version, version, version);
    }

    private static float[] filled(long size, int version) {
        float[] values = new float[Math.toIntExact(size)];
        Arrays.fill(values, version);
        return values;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        try (Backend cpu = new CpuBackend(); Model m = model()) {
            m.build(1, cpu);
            for (int version = Integer.parseInt(args[1]); ; version++) {
                becomeVersion(m, version);
                Checkpoints.save(m, file);
                System.out.println("saved " + version);
                System.out.flush();
            }
        }
    }
}
