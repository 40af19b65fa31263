package io.kernelnet.cli;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * The value types of the command line's options, each checked as it is parsed, before any command runs (so that a
 * typo in a file name does not cost a training run): their converters say what is wrong with a value and
 * {@link UsageException#of(CommandLine.ParameterException)} puts the command and option in front.
 */
public final class OptionTypes {
    private OptionTypes() {
    }

    /** Registers the number converters on {@code commandLine} and every command under it. */
    static void registerNumbers(CommandLine commandLine) {
        commandLine.registerConverter(Integer.class, OptionTypes::wholeNumber);
        commandLine.registerConverter(Integer.TYPE, OptionTypes::wholeNumber);
        commandLine.registerConverter(Double.class, OptionTypes::number);
        commandLine.registerConverter(Double.TYPE, OptionTypes::number);
    }

    private static Integer wholeNumber(String value) {
        try {
            return Integer.parseInt(present(value).strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("takes a whole number, got '" + value + "'");
        }
    }

    private static Double number(String value) {
        try {
            return Double.parseDouble(present(value).strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("takes a number, got '" + value + "'");
        }
    }

    private static String present(String value) {
        if (value.isBlank()) {
            throw new TypeConversionException("needs a value");
        }
        return value;
    }

    /** {@code value} of option {@code name}, refused when below {@code min}. */
    public static int atLeast(CommandSpec spec, String name, int value, int min) {
        if (value < min) {
            throw UsageException.of(spec, name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    /** A finite number greater than 0 (a learning rate). */
    public static final class PositiveNumber implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x = number(value);
            if (!(x > 0 && Double.isFinite(x))) {
                throw new TypeConversionException("must be a finite number > 0, got '" + value + "'");
            }
            return x;
        }
    }

    /** The comma-separated items of {@code text}, none empty, none repeated. */
    public static List<String> items(CommandSpec spec, String name, String text) {
        List<String> values = new ArrayList<>();
        for (String v : text.split(",", -1)) {
            String s = v.strip();
            if (s.isEmpty()) {
                throw UsageException.of(spec, name + " has an empty item in '" + text + "'");
            }
            if (values.contains(s)) {
                throw UsageException.of(spec, name + " names '" + s + "' twice");
            }
            values.add(s);
        }
        return values;
    }

    private static Path path(String value) {
        if (value.isBlank()) {
            throw new TypeConversionException("needs a value");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new TypeConversionException("'" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /** {@code p}, or a conversion error "p: problem" unless {@code ok}. */
    private static Path require(boolean ok, Path p, String problem) {
        if (!ok) {
            throw new TypeConversionException(p + ": " + problem);
        }
        return p;
    }

    /** A file the command will read: it must exist, be a regular file and be readable. */
    public static final class InputFile implements ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = path(value);
            require(Files.exists(p), p, "no such file");
            require(Files.isRegularFile(p), p, "not a regular file");
            return require(Files.isReadable(p), p, "not readable");
        }
    }

    /** A directory the command will read. */
    public static final class InputDirectory implements ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = path(value);
            require(Files.isDirectory(p), p, Files.exists(p) ? "not a directory" : "no such directory");
            return require(Files.isReadable(p), p, "not readable");
        }
    }

    /** A file the command will write: its directory must exist and be writable, and it must not be a directory. */
    public static final class OutputFile implements ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            Path p = path(value);
            require(!Files.isDirectory(p), p, "is a directory, expected a file name");
            Path parent = p.toAbsolutePath().getParent();
            require(parent != null && Files.isDirectory(parent), p, "directory " + parent + " does not exist");
            return require(Files.isWritable(parent) && (!Files.exists(p) || Files.isWritable(p)), p, "not writable");
        }
    }
}
