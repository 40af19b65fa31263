package io.kernelnet.tensor;

/**
 * One allocation of float32 elements owned by a backend. Tensors are views into a storage at an element
 * offset; the graph layer carves one storage into all the buffers of its memory plan.
 */
public abstract class Storage implements AutoCloseable {
    private final long capacity;
    private final String label;
    private boolean closed;

    protected Storage(long capacity, String label) {
        if (capacity < 0) {
            throw new IllegalArgumentException("storage '" + label + "': negative capacity " + capacity);
        }
        this.capacity = capacity;
        this.label = label;
    }

    /** Capacity in float32 elements. */
    public final long capacity() {
        return capacity;
    }

    public final String label() {
        return label;
    }

    public abstract Device device();

    public final boolean isClosed() {
        return closed;
    }

    /** Throws if this storage was released. */
    public final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("storage '" + label + "' was closed");
        }
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /** Frees the memory; called once. */
    protected abstract void release();
}
