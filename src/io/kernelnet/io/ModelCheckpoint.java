package io.kernelnet.io;

import io.kernelnet.nn.Model;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Monitor;
import io.kernelnet.train.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keras ModelCheckpoint: saves {@code model}, the model it is given to fit() with, after an epoch, or only when
 * {@code monitor} improved (best only). The file holds the whole training state (see {@link Checkpoints}), so a
 * run can resume from it. It lives here, not with the other callbacks in train, because it writes the checkpoint
 * format, which knows models.
 */
public final class ModelCheckpoint implements Callback {
    private static final Logger log = LoggerFactory.getLogger(ModelCheckpoint.class);

    private final Model model;
    private final Path file;
    private final Monitor monitor;
    private final boolean saveBestOnly;

    public ModelCheckpoint(Model model, Path file, String monitor, boolean saveBestOnly) {
        this.model = model;
        this.file = file;
        this.monitor = new Monitor("ModelCheckpoint", monitor);
        this.saveBestOnly = saveBestOnly;
    }

    @Override
    public void onTrainBegin(TrainingRun run) {
        monitor.reset();
    }

    @Override
    public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
        if (saveBestOnly && !monitor.improvedBy(logs, 0)) {
            return;
        }
        try {
            Checkpoints.save(model, file);
            log.info("epoch {}: saved {} ({} = {})", epoch + 1, file, monitor.name(), logs.get(monitor.name()));
        } catch (IOException e) {
            throw new UncheckedIOException("ModelCheckpoint: could not write " + file, e);
        }
    }
}
