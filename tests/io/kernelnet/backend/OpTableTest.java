package io.kernelnet.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The table of kernels/README.md that says where each op lives is complete and names what exists: every op of
 * {@link Backend} (the checked ops of {@link CheckedBackend}) and every kernel declared in kernels/*.cu has a row,
 * and every class (and method) it names is in the sources.
 */
class OpTableTest {
    private static final Path README = Path.of("kernels", "README.md");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+"
            + "(?:__launch_bounds__\\s*\\([^)]*\\)\\s+)?(\\w+)\\s*\\(");
    private static final Pattern CLASS_OR_MEMBER = Pattern.compile("([A-Z]\\w*)(?:\\.(\\w+))?");
    private static List<String[]> rows;

    @BeforeAll
    static void readTable() throws IOException {
        String text = Files.readString(README);
        int from = text.indexOf("## Where each op lives");
        int to = text.indexOf("\n## ", from + 1);
        assertTrue(from >= 0 && to > from, "kernels/README.md has a section 'Where each op lives'");
        rows = new ArrayList<>();
        for (String line : text.substring(from, to).split("\n")) {
            if (line.startsWith("| `")) {
                String[] cells = line.substring(1, line.length() - 1).split(" \\| ", -1);
                assertEquals(6, cells.length, line);
                rows.add(cells);
            }
        }
        assertTrue(rows.size() > 10, rows.size() + " rows");
    }

    private static Set<String> codeIn(int column) {
        Set<String> names = new TreeSet<>();
        for (String[] row : rows) {
            Matcher m = CODE.matcher(row[column]);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void everyOpOfTheBackendHasARow() {
        Set<String> listed = codeIn(0);
        Set<String> missing = new TreeSet<>();
        for (Method m : CheckedBackend.class.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && Modifier.isFinal(m.getModifiers())
                    && !listed.contains(m.getName())) {
                missing.add(m.getName());
            }
        }
        assertTrue(missing.isEmpty(), "ops without a row in kernels/README.md: " + missing);
    }

    @Test
    void everyKernelHasARow() throws IOException {
        Set<String> listed = codeIn(3);
        Set<String> missing = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("kernels"))) {
            for (Path cu : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                Matcher m = KERNEL.matcher(Files.readString(cu));
                while (m.find()) {
                    if (!listed.contains(m.group(1))) {
                        missing.add(m.group(1) + " (" + cu.getFileName() + ")");
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "kernels without a row in kernels/README.md: " + missing);
    }

    /** `Class` or `Class.member` in the reference, fast, kernel, test and benchmark columns. */
    @Test
    void everyClassAndMethodNamedExists() throws IOException {
        Map<String, Path> sources;
        try (Stream<Path> files = Stream.of("src", "tests", "bench", "native").map(Path::of).filter(Files::isDirectory)
                .flatMap(OpTableTest::walk)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toMap(
                    p -> p.getFileName().toString().replace(".java", ""), Function.identity(), (a, b) -> a));
        }
        List<String> unknown = new ArrayList<>();
        for (int column = 1; column < 6; column++) {
            for (String name : codeIn(column)) {
                Matcher m = CLASS_OR_MEMBER.matcher(name);
                if (!m.matches()) {
                    continue;
                }
                Path file = sources.get(m.group(1));
                if (file == null && !isGenerated(m.group(1))) {
                    unknown.add(name);
                } else if (file != null && m.group(2) != null
                        && !Pattern.compile("\\b" + m.group(2) + "\\b").matcher(Files.readString(file)).find()) {
                    unknown.add(name);
                }
            }
        }
        assertTrue(unknown.isEmpty(), "kernels/README.md names what the sources do not have: " + unknown);
    }

    /** Classes the kernel spec generates at build time (target/generated-sources). */
    private static boolean isGenerated(String name) {
        return name.equals("Kernels") || name.equals("Kernel");
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
