package io.kernelnet.train;

import io.kernelnet.io.Checkpoints;
import io.kernelnet.nn.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keras ModelCheckpoint: saves the model after an epoch, or only when {@code monitor} improved (best only). */
public final class ModelCheckpoint implements Callback {
    private static final Logger log = LoggerFactory.getLogger(ModelCheckpoint.class);

    private final Path file;
    private final String monitor;
    private final boolean saveBestOnly;
    private final boolean maximize;
    private double best;

    public ModelCheckpoint(Path file, String monitor, boolean saveBestOnly) {
        this.file = file;
        this.monitor = monitor;
        this.saveBestOnly = saveBestOnly;
        this.maximize = monitor.contains("acc");
    }

    @Override
    public void onTrainBegin(Model model) {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    @Override
    public void onEpochEnd(Model model, int epoch, Map<String, Double> logs) {
        if (saveBestOnly) {
            Double value = logs.get(monitor);
            if (value == null) {
                throw new IllegalStateException("ModelCheckpoint monitors '" + monitor + "' but the epoch logged only "
                        + logs.keySet());
            }
            if (!(maximize ? value > best : value < best)) {
                return;
            }
            best = value;
        }
        try {
            Checkpoints.save(model, file);
            log.info("epoch {}: saved {} ({} = {})", epoch + 1, file, monitor, logs.get(monitor));
        } catch (IOException e) {
            throw new UncheckedIOException("ModelCheckpoint: could not write " + file, e);
        }
    }
}
