package io.kernelnet.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options after a command, checked against what the command accepts. */
final class Args {
    private final String command;
    private final Map<String, String> values = new HashMap<>();

    Args(String command, String[] argv, int from, Set<String> options, Set<String> flags) {
        this.command = command;
        for (int i = from; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                values.put(name, "true");
            } else if (options.contains(name)) {
                if (inline == null) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException(command + ": --" + name + " needs a value");
                    }
                    inline = argv[++i];
                }
                values.put(name, inline);
            } else {
                List<String> known = new java.util.ArrayList<>(options);
                known.addAll(flags);
                java.util.Collections.sort(known);
                throw new UsageException(command + ": unknown option --" + name + " (known: --" + String.join(", --", known) + ")");
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
        try {
            int x = Integer.parseInt(v);
            if (x < min) {
                throw new UsageException(command + ": --" + name + " must be >= " + min + ", got " + x);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " takes a whole number, got '" + v + "'");
        }
    }

    double number(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " takes a number, got '" + v + "'");
        }
    }

    /** A command-line mistake: printed with the usage, exit status 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
