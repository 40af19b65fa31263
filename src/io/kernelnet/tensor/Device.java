package io.kernelnet.tensor;

/** Where a tensor's storage lives. */
public record Device(Kind kind, int ordinal, String name) {
    public enum Kind { CPU, CUDA }

    public static final Device CPU = new Device(Kind.CPU, 0, "cpu");

    public static Device cuda(int ordinal, String name) {
        return new Device(Kind.CUDA, ordinal, name);
    }

    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + ordinal + " (" + name + ")";
    }
}
