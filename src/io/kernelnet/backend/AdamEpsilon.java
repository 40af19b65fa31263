package io.kernelnet.backend;

/**
 * Where Adam adds epsilon, the one place the frameworks' Adam differ (t counts steps from 1, m and v are the raw
 * moments). The two agree except where sqrt(v) is within a few epsilon of zero.
 */
public enum AdamEpsilon {
    /** Keras, TensorFlow, DL4J: to the uncorrected sqrt(v), p -= lr * sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v) + eps). */
    KERAS,
    /** PyTorch: to the bias-corrected sqrt(v), p -= lr/(1-b1^t) * m/(sqrt(v)/sqrt(1-b2^t) + eps). */
    PYTORCH;

    /** The name in optimizer configurations: "keras" or "pytorch". */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The placement named {@code name} in a configuration; refuses another name, listing both. */
    public static AdamEpsilon named(String name) {
        for (AdamEpsilon e : values()) {
            if (e.configName().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown epsilon placement '" + name + "': expected keras or pytorch");
    }
}
