package io.kernelnet.train;

import io.kernelnet.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras CSVLogger, and its JSON twin: every epoch's logs, rewritten whole after each epoch (through a temporary
 * file and a rename) as CSV when the file name ends in .csv, else as a JSON array of objects.
 */
public final class EpochLog implements Callback {
    private final Path file;
    private final List<Map<String, Object>> rows = new ArrayList<>();

    public EpochLog(Path file) {
        this.file = file;
    }

    @Override
    public void onTrainBegin(TrainingRun run) {
        rows.clear();
    }

    @Override
    public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("epoch", epoch + 1);
        row.putAll(logs);
        rows.add(row);
        String text = file.getFileName().toString().endsWith(".csv") ? csv() : Json.write(rows) + "\n";
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("EpochLog: could not write " + file, e);
        }
    }

    private String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", rows.get(0).keySet())).append('\n');
        for (Map<String, Object> row : rows) {
            List<String> cells = new ArrayList<>();
            row.values().forEach(v -> cells.add(String.valueOf(v)));
            sb.append(String.join(",", cells)).append('\n');
        }
        return sb.toString();
    }
}
