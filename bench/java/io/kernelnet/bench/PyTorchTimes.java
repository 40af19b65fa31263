package io.kernelnet.bench;

import io.kernelnet.io.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JSON that {@code bench/pytorch/train_bench.py} writes (its docstring has the schema): PyTorch's examples per
 * second for each model, batch and mode ({@code eager} or {@code compile}). A mode that did not run (torch.compile
 * failing, say) has {@code examples_per_second: null} and a {@code note} saying why.
 */
public record PyTorchTimes(String framework, String device, List<Entry> entries) {
    public static final String EAGER = "eager";
    public static final String COMPILE = "compile";

    /** One model at one batch in one mode; {@code examplesPerSecond} NaN when it did not run. */
    public record Entry(String model, int batch, String mode, double examplesPerSecond, String note) {
    }

    public PyTorchTimes {
        entries = List.copyOf(entries);
    }

    /** The entry for (model, batch, mode), or null. */
    public Entry find(String model, int batch, String mode) {
        return entries.stream().filter(e -> e.model().equals(model) && e.batch() == batch && e.mode().equals(mode))
                .findFirst().orElse(null);
    }

    /** Examples per second for (model, batch, mode), NaN when absent or not run. */
    public double rate(String model, int batch, String mode) {
        Entry e = find(model, batch, mode);
        return e == null ? Double.NaN : e.examplesPerSecond();
    }

    public static PyTorchTimes read(Path file) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the file's text; an IllegalArgumentException names what is wrong and where. */
    @SuppressWarnings("unchecked")
    public static PyTorchTimes parse(String text) {
        if (!(Json.parse(text) instanceof Map<?, ?> root)) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        if (!"train-pytorch".equals(root.get("bench"))) {
            throw new IllegalArgumentException("not a train_bench.py file (\"bench\" is " + root.get("bench")
                    + ", expected \"train-pytorch\")");
        }
        if (!(root.get("results") instanceof List<?> results)) {
            throw new IllegalArgumentException("\"results\" must be a list");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (!(results.get(i) instanceof Map<?, ?> r)) {
                throw new IllegalArgumentException("results[" + i + "] must be an object");
            }
            String where = "results[" + i + "]";
            String model = string((Map<String, Object>) r, "model", where);
            String mode = string((Map<String, Object>) r, "mode", where);
            if (!mode.equals(EAGER) && !mode.equals(COMPILE)) {
                throw new IllegalArgumentException(where + ".mode must be eager or compile, got '" + mode + "'");
            }
            if (!(r.get("batch") instanceof Long batch) || batch < 1 || batch > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + ".batch must be a whole number >= 1, got " + r.get("batch"));
            }
            Object rate = r.get("examples_per_second");
            double value;
            if (rate == null) {
                value = Double.NaN;
            } else if (rate instanceof Number n && n.doubleValue() > 0) {
                value = n.doubleValue();
            } else {
                throw new IllegalArgumentException(where + ".examples_per_second must be a number > 0 or null, got "
                        + rate);
            }
            Object note = r.get("note");
            entries.add(new Entry(model, batch.intValue(), mode, value, note == null ? "" : note.toString()));
        }
        Object framework = root.get("framework");
        Object device = root.get("device_name") != null ? root.get("device_name") : root.get("device");
        return new PyTorchTimes(framework == null ? "pytorch" : framework.toString(),
                device == null ? "unknown device" : device.toString(), entries);
    }

    private static String string(Map<String, Object> r, String key, String where) {
        if (!(r.get(key) instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException(where + "." + key + " must be a non-empty string, got " + r.get(key));
        }
        return s;
    }
}
