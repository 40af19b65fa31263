package io.kernelnet.backend.cuda;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line out of the long native-library errors that JCuda and JavaCPP throw when a shared library is missing:
 * "libcuda.so.1 not found" instead of two nested stack traces.
 */
final class LoadFailure {
    private static final Pattern MISSING = Pattern.compile("([\\w.+-]+\\.so[.\\d]*): cannot open shared object file");

    private LoadFailure() {
    }

    static String reason(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                Matcher m = MISSING.matcher(message);
                if (m.find()) {
                    return m.group(1) + " not found";
                }
            }
        }
        String message = failure.getMessage();
        String first = message == null ? "" : message.strip().lines().findFirst().orElse("");
        return failure.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
    }
}
