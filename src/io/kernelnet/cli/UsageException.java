package io.kernelnet.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A command-line mistake: one line on standard error, exit status 2. The message starts with the command ("train:
 * ...", "bench kernels: ...") and names the option and the value given.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    /** A usage error of {@code spec}'s command: "command: what". */
    public static UsageException of(CommandSpec spec, String what) {
        String command = commandName(spec);
        return new UsageException(command.isEmpty() ? what : command + ": " + what);
    }

    /** Picocli's parse error in this project's words (picocli's own name the option by its label, not as typed). */
    static UsageException of(CommandLine.ParameterException e) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            if (first.startsWith("-")) {
                String name = first.contains("=") ? first.substring(0, first.indexOf('=')) : first;
                return of(spec, "unknown option " + name + " (known: " + String.join(", ", optionNames(spec)) + ")");
            }
            if (!spec.subcommands().isEmpty()) {
                return of(spec, "unknown command '" + first + "' (commands: "
                        + String.join(", ", spec.subcommands().keySet()) + ")");
            }
            return of(spec, "unexpected argument '" + first + "'");
        }
        if (e instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()) {
            return of(spec, name(m.getMissing().get(0)) + " needs a value");
        }
        if (e instanceof CommandLine.OverwrittenOptionException o) {
            return of(spec, name(o.getOverwritten()) + " is given twice");
        }
        if (e.getArgSpec() != null && e.getCause() instanceof CommandLine.TypeConversionException conversion) {
            ArgSpec arg = e.getArgSpec();
            if (arg.arity().max() == 0) {
                return of(spec, name(arg) + " takes no value, got '" + e.getValue() + "'");
            }
            return of(spec, name(arg) + " " + conversion.getMessage());
        }
        return of(spec, e.getMessage());
    }

    /** "train", "bench kernels": the command as typed after "kernelnet". */
    private static String commandName(CommandSpec spec) {
        String qualified = spec.qualifiedName(" ");
        int space = qualified.indexOf(' ');
        return space < 0 ? "" : qualified.substring(space + 1);
    }

    private static String name(ArgSpec arg) {
        return arg instanceof OptionSpec option ? option.longestName() : arg.paramLabel();
    }

    private static List<String> optionNames(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec option : spec.options()) {
            names.add(option.longestName());
        }
        names.sort(null);
        return names;
    }
}
