package io.kernelnet.cli;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options after a command, checked against what the command accepts. Every
 * mistake is a {@link UsageException} naming the command, the option and the value given.
 */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();

    Args(String command, String[] argv, int from, Set<String> options, Set<String> flags) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new UsageException(command + ": unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (values.containsKey(name)) {
                throw new UsageException(command + ": --" + name + " is given twice");
            }
            if (flags.contains(name)) {
                if (inline != null) {
                    throw new UsageException(command + ": --" + name + " takes no value, got '" + inline + "'");
                }
                values.put(name, "true");
            } else if (options.contains(name)) {
                if (inline == null) {
                    // "--epochs --batch 8": the next option is not a value (negative numbers have one dash)
                    if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
                        throw new UsageException(command + ": --" + name + " needs a value");
                    }
                    inline = argv[++i];
                }
                if (inline.isBlank()) {
                    throw new UsageException(command + ": --" + name + " needs a value");
                }
                values.put(name, inline);
            } else {
                List<String> known = new ArrayList<>(options);
                known.addAll(flags);
                Collections.sort(known);
                throw new UsageException(command + ": unknown option --" + name
                        + (known.isEmpty() ? " (it takes none)" : " (known: --" + String.join(", --", known) + ")"));
            }
        }
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String require(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        int x;
        try {
            x = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " takes a whole number, got '" + v + "'");
        }
        if (x < min) {
            throw new UsageException(command + ": --" + name + " must be >= " + min + ", got " + x);
        }
        return x;
    }

    /** A finite number greater than 0 (a learning rate). */
    double positiveNumber(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        double x;
        try {
            x = Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " takes a number, got '" + v + "'");
        }
        if (!(x > 0 && Double.isFinite(x))) {
            throw new UsageException(command + ": --" + name + " must be a finite number > 0, got '" + v + "'");
        }
        return x;
    }

    /** A file the command will read: it must exist, be a regular file and be readable. */
    Path inputFile(String name) {
        Path p = path(name, require(name));
        if (!Files.exists(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": no such file");
        }
        if (!Files.isRegularFile(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": not a regular file");
        }
        if (!Files.isReadable(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": not readable");
        }
        return p;
    }

    /** A directory the command will read, or null when the option is absent. */
    Path inputDirectory(String name) {
        String v = values.get(name);
        if (v == null) {
            return null;
        }
        Path p = path(name, v);
        if (!Files.isDirectory(p)) {
            throw new UsageException(command + ": --" + name + " " + p
                    + (Files.exists(p) ? ": not a directory" : ": no such directory"));
        }
        if (!Files.isReadable(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": not readable");
        }
        return p;
    }

    /**
     * A file the command will write, or null when the option is absent: checked before any work, so that a typo
     * in a directory name does not cost a training run.
     */
    Path outputFile(String name) {
        String v = values.get(name);
        if (v == null) {
            return null;
        }
        Path p = path(name, v);
        if (Files.isDirectory(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": is a directory, expected a file name");
        }
        Path parent = p.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageException(command + ": --" + name + " " + p + ": directory " + parent + " does not exist");
        }
        if (!Files.isWritable(parent) || (Files.exists(p) && !Files.isWritable(p))) {
            throw new UsageException(command + ": --" + name + " " + p + ": not writable");
        }
        return p;
    }

    private Path path(String name, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(command + ": --" + name + " '" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /** A usage error about this command: "command: what". */
    UsageException error(String what) {
        return new UsageException(command + ": " + what);
    }

    /** A command-line mistake: one line on standard error, exit status 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
