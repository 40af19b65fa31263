import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The kernel spec: the {@code extern "C" __global__} declarations in kernels/*.cu are the one place a kernel's
 * name and parameters are written. This reads them and generates what must agree with them:
 * <ul>
 *   <li>{@code --java DIR}: the Java side, package io.kernelnet.backend.cuda: the {@code Kernel} enum (every
 *       kernel by name), {@code Kernels} (one typed launch method per kernel, the .cu parameter names in
 *       camelCase: a launch whose arguments do not match its kernel does not compile) and a record per struct
 *       passed by value;</li>
 *   <li>{@code --emulator FILE}: the emulated driver's table (native/cuda-emulator): each kernel's name, its
 *       parameter list, and a function that unpacks cuLaunchKernel's kernelParams into a call of the kernel;</li>
 *   <li>{@code --names FILE}: the names, one per line (native/build-kernels.sh checks the fatbin against it).</li>
 * </ul>
 * Run with the JDK's single-file launcher: {@code java native/kernel-spec/KernelSpec.java kernels --java DIR ...}.
 * A declaration it cannot map (a parameter type other than a pointer, int, unsigned, float, long long, unsigned
 * long long or a struct of ints) fails with the file and line. Files are rewritten only when their text changes.
 */
public final class KernelSpec {
    private static final String PACKAGE = "io.kernelnet.backend.cuda";
    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\s*\\([^)]*\\)\\s+)?(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern STRUCT = Pattern.compile("(?m)^struct\\s+(\\w+)\\s*\\{([^}]*)\\};");

    /** One parameter: its C type as written (qualifiers kept, __restrict__ dropped) and its name. */
    record Param(String cType, String name, Kind kind, String struct) {
        String javaName() {
            return camel(name, false);
        }

        String javaType() {
            return switch (kind) {
                case POINTER -> "DevicePointer";
                case INT -> "int";
                case FLOAT -> "float";
                case LONG -> "long";
                case STRUCT -> struct;
            };
        }
    }

    enum Kind { POINTER, INT, FLOAT, LONG, STRUCT }

    record Kernel(String name, String file, int line, List<Param> params) {
        String constant() {
            return name.replaceFirst("^kn_", "").toUpperCase(Locale.ROOT);
        }

        String method() {
            return camel(name.replaceFirst("^kn_", ""), false);
        }

        String declaration() {
            return name + "(" + params.stream().map(p -> p.cType() + " " + p.name()).collect(Collectors.joining(", "))
                    + ")";
        }
    }

    /** A struct of ints passed by value (KnConvShape): its fields in declaration order. */
    record Struct(String name, List<String> fields) {
    }

    /** Every struct of the sources, by name: its text, checked only when a kernel takes it by value. */
    private final Map<String, String> structTexts = new LinkedHashMap<>();
    private final Map<String, Struct> structs = new LinkedHashMap<>();
    private final List<Kernel> kernels = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length % 2 != 1) {
            System.err.println("usage: java KernelSpec.java KERNELS_DIR [--java DIR] [--emulator FILE] [--names FILE]");
            System.exit(2);
        }
        KernelSpec spec = new KernelSpec();
        try {
            spec.read(Path.of(args[0]));
        } catch (IllegalArgumentException e) {
            System.err.println("kernel spec: " + e.getMessage());
            System.exit(1);
        }
        for (int i = 1; i < args.length; i += 2) {
            Path out = Path.of(args[i + 1]);
            switch (args[i]) {
                case "--java" -> spec.writeJava(out);
                case "--emulator" -> write(out, spec.emulatorTable());
                case "--names" -> write(out, spec.kernels.stream().map(k -> k.name() + "\n").collect(Collectors.joining()));
                default -> {
                    System.err.println("kernel spec: unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
    }

    void read(Path dir) throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.list(dir)) {
            sources = files.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted()
                    .toList();
        }
        Map<Path, String> texts = new LinkedHashMap<>();
        for (Path p : sources) {
            texts.put(p, withoutComments(Files.readString(p, StandardCharsets.UTF_8)));
        }
        texts.forEach((p, text) -> {
            Matcher m = STRUCT.matcher(text);
            while (m.find()) {
                structTexts.put(m.group(1), p + ":" + lineOf(text, m.start()) + "\n" + m.group(2));
            }
        });
        texts.forEach((p, text) -> {
            Matcher m = KERNEL.matcher(text);
            while (m.find()) {
                int line = lineOf(text, m.start());
                List<Param> params = new ArrayList<>();
                for (String raw : m.group(2).split(",")) {
                    params.add(param(p, line, raw));
                }
                kernels.add(new Kernel(m.group(1), p.getFileName().toString(), line, params));
            }
        });
        if (kernels.isEmpty()) {
            throw new IllegalArgumentException("no extern \"C\" __global__ kernel in " + dir);
        }
        kernels.sort((a, b) -> a.name().compareTo(b.name()));
        for (int i = 1; i < kernels.size(); i++) {
            if (kernels.get(i).name().equals(kernels.get(i - 1).name())) {
                throw new IllegalArgumentException("kernel " + kernels.get(i).name() + " is declared twice");
            }
        }
    }

    private static Struct struct(String name, String located) {
        String where = located.substring(0, located.indexOf('\n'));
        List<String> fields = new ArrayList<>();
        for (String decl : located.substring(where.length() + 1).split(";")) {
            String d = decl.strip();
            if (d.isEmpty()) {
                continue;
            }
            if (!d.startsWith("int ")) {
                throw new IllegalArgumentException(where + ": struct " + name
                        + ": only int fields can be passed by value from Java, got '" + d + "'");
            }
            for (String field : d.substring(4).split(",")) {
                fields.add(field.strip());
            }
        }
        return new Struct(name, fields);
    }

    private Param param(Path file, int line, String raw) {
        String text = raw.replace("__restrict__", " ").replaceAll("\\s*\\*\\s*", "* ").replaceAll("\\s+", " ").strip();
        Matcher m = Pattern.compile("(.*\\S)\\s+(\\w+)").matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(file + ":" + line + ": cannot read parameter '" + raw.strip() + "'");
        }
        String type = m.group(1).replace("* ", "*").strip();
        String name = m.group(2);
        String bare = type.replaceFirst("^const ", "");
        Kind kind;
        if (type.endsWith("*")) {
            kind = Kind.POINTER;
        } else if (bare.equals("int") || bare.equals("unsigned") || bare.equals("unsigned int")) {
            kind = Kind.INT;
        } else if (bare.equals("float")) {
            kind = Kind.FLOAT;
        } else if (bare.equals("long long") || bare.equals("unsigned long long")) {
            kind = Kind.LONG;
        } else if (structTexts.containsKey(bare)) {
            structs.computeIfAbsent(bare, s -> struct(s, structTexts.get(s)));
            return new Param(type, name, Kind.STRUCT, bare);
        } else {
            throw new IllegalArgumentException(file + ":" + line + ": parameter '" + raw.strip()
                    + "': Java can pass pointers, int, unsigned, float, long long, unsigned long long and structs of"
                    + " ints, not " + type);
        }
        return new Param(type, name, kind, null);
    }

    private static String withoutComments(String text) {
        // keeps the line structure so that line numbers stay right
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("//", i)) {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? text.length() : end + 2;
                text.substring(i, end).chars().filter(c -> c == '\n').forEach(c -> out.append('\n'));
                i = end;
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString();
    }

    private static int lineOf(String text, int offset) {
        return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
    }

    /** snake_case to camelCase ("c_in" -> "cIn", "sgemm_128x128" -> "sgemm128x128"); upper = first letter too. */
    static String camel(String snake, boolean upper) {
        StringBuilder sb = new StringBuilder();
        boolean up = upper;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }

    // ---- Java ---------------------------------------------------------------------------------------------------

    private static final String GENERATED = "Generated from the extern \"C\" __global__ declarations in kernels/*.cu by"
            + " native/kernel-spec/KernelSpec.java: do not edit.";

    void writeJava(Path root) throws IOException {
        Path dir = root.resolve(PACKAGE.replace('.', '/'));
        write(dir.resolve("Kernel.java"), kernelEnum());
        write(dir.resolve("Kernels.java"), launchers());
        for (Struct s : structs.values()) {
            write(dir.resolve(s.name() + ".java"), record(s));
        }
    }

    private String kernelEnum() {
        StringBuilder sb = new StringBuilder();
        sb.append("package ").append(PACKAGE).append(";\n\n");
        sb.append("/** Every kernel of the fatbin, by its extern \"C\" name. ").append(GENERATED).append(" */\n");
        sb.append("enum Kernel {\n");
        for (int i = 0; i < kernels.size(); i++) {
            Kernel k = kernels.get(i);
            sb.append("    /** {@code ").append(k.declaration()).append("}, kernels/").append(k.file()).append(" */\n");
            sb.append("    ").append(k.constant()).append("(\"").append(k.name()).append("\")")
                    .append(i + 1 < kernels.size() ? ",\n" : ";\n");
        }
        sb.append("\n    final String symbol;\n\n    Kernel(String symbol) {\n        this.symbol = symbol;\n    }\n}\n");
        return sb.toString();
    }

    private String launchers() {
        StringBuilder sb = new StringBuilder();
        sb.append("package ").append(PACKAGE).append(";\n\n");
        sb.append("import jcuda.Pointer;\n\n");
        sb.append("/**\n * One typed launch per kernel, its parameters those of the kernel's declaration: a launch whose"
                + " arguments\n * do not match does not compile. A null DevicePointer passes NULL. ").append(GENERATED)
                .append("\n */\n");
        sb.append("final class Kernels {\n");
        sb.append("    private static final Pointer NULL = Pointer.to(new long[] {0L});\n\n");
        sb.append("    private final KernelModule module;\n\n");
        sb.append("    Kernels(KernelModule module) {\n        this.module = module;\n    }\n");
        for (Kernel k : kernels) {
            sb.append("\n    /** {@code ").append(k.declaration()).append("}, kernels/").append(k.file()).append(". */\n");
            sb.append("    void ").append(k.method()).append("(String op, Grid grid");
            for (Param p : k.params()) {
                sb.append(", ").append(p.javaType()).append(' ').append(p.javaName());
            }
            sb.append(") {\n");
            sb.append("        module.launch(op, Kernel.").append(k.constant()).append(", grid, Pointer.to(");
            sb.append(k.params().stream().map(KernelSpec::argument).collect(Collectors.joining(", ")));
            sb.append("));\n    }\n");
        }
        sb.append("\n    private static Pointer pointer(DevicePointer p) {\n        return p == null ? NULL : Pointer.to(p);\n"
                + "    }\n}\n");
        return sb.toString();
    }

    private static String argument(Param p) {
        String name = p.javaName();
        return switch (p.kind()) {
            case POINTER -> "pointer(" + name + ")";
            case INT -> "Pointer.to(new int[] {" + name + "})";
            case FLOAT -> "Pointer.to(new float[] {" + name + "})";
            case LONG -> "Pointer.to(new long[] {" + name + "})";
            case STRUCT -> "Pointer.to(" + name + ".words())";
        };
    }

    private String record(Struct s) {
        String fields = s.fields().stream().map(f -> "int " + camel(f, false)).collect(Collectors.joining(", "));
        String words = s.fields().stream().map(f -> camel(f, false)).collect(Collectors.joining(", "));
        return "package " + PACKAGE + ";\n\n"
                + "/** The kernels' {@code struct " + s.name() + "}, passed by value as its " + s.fields().size()
                + " ints in declaration order. " + GENERATED + " */\n"
                + "record " + s.name() + "(" + fields + ") {\n"
                + "    int[] words() {\n        return new int[] {" + words + "};\n    }\n}\n";
    }

    // ---- the emulated driver's table --------------------------------------------------------------------------

    private String emulatorTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("// ").append(GENERATED).append("\n// Included by native/cuda-emulator/kernels.cpp after every kernels/*.cu.\n\n");
        for (Kernel k : kernels) {
            sb.append("static bool kn_emu_run_").append(k.name()).append("(void* const* p, Dim3 grid, Dim3 block) {\n");
            List<Param> ps = k.params();
            for (int i = 0; i < ps.size(); i++) {
                sb.append("    const auto a").append(i).append(" = kn_emu::param<").append(ps.get(i).cType())
                        .append(">(p, ").append(i).append(");\n");
            }
            String args = java.util.stream.IntStream.range(0, ps.size()).mapToObj(i -> "a" + i)
                    .collect(Collectors.joining(", "));
            sb.append("    return kn_emu::run_grid(grid, block, [=] { ").append(k.name()).append("(").append(args).append("); });\n}\n\n");
        }
        sb.append("const KernelEntry kn_emu_kernels[] = {\n");
        for (Kernel k : kernels) {
            sb.append("    {\"").append(k.name()).append("\", \"").append(k.file()).append("\", kn_emu_run_")
                    .append(k.name()).append(", ").append(k.params().size()).append(", {");
            sb.append(k.params().stream().map(p -> "{\"" + p.name() + "\", \"" + p.cType() + "\", sizeof(" + p.cType()
                    + "), " + (p.kind() == Kind.POINTER) + "}").collect(Collectors.joining(", ")));
            sb.append("}},\n");
        }
        sb.append("};\nconst int kn_emu_kernel_count = ").append(kernels.size()).append(";\n");
        return sb.toString();
    }

    private static void write(Path file, String text) throws IOException {
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(text)) {
                return;
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
