package io.kernelnet.tensor;

/**
 * A contiguous float32 view: {@code shape.size()} elements of a {@link Storage} starting at {@code offset}
 * (in elements), row-major. Views share storage; a tensor never owns memory, its storage's owner does.
 */
public final class Tensor {
    private final Storage storage;
    private final long offset;
    private final Shape shape;
    private final String name;

    public Tensor(Storage storage, long offset, Shape shape, String name) {
        if (offset < 0 || offset + shape.size() > storage.capacity()) {
            throw new IllegalArgumentException("tensor '" + name + "' " + shape + " at offset " + offset
                    + " does not fit in storage '" + storage.label() + "' of " + storage.capacity() + " floats");
        }
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.name = name;
    }

    /** A CPU tensor over a copy-free wrap of {@code data}, which must hold exactly {@code shape.size()} floats. */
    public static Tensor wrap(float[] data, Shape shape) {
        if (data.length != shape.size()) {
            throw new IllegalArgumentException("wrap: " + data.length + " floats for shape " + shape
                    + " of " + shape.size());
        }
        return new Tensor(new HostStorage(data, "wrapped"), 0, shape, "wrapped");
    }

    /** A new zero-filled CPU tensor. */
    public static Tensor zeros(Shape shape) {
        return new Tensor(new HostStorage(shape.size(), "zeros"), 0, shape, "zeros");
    }

    public Storage storage() {
        return storage;
    }

    public long offset() {
        return offset;
    }

    public Shape shape() {
        return shape;
    }

    public String name() {
        return name;
    }

    public Device device() {
        return storage.device();
    }

    public long size() {
        return shape.size();
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public int rank() {
        return shape.rank();
    }

    /** The same elements under another shape of equal size (Flatten, a 2D view of a 4D buffer). */
    public Tensor reshape(Shape newShape) {
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("reshape of '" + name + "': " + shape + " has " + shape.size()
                    + " elements, " + newShape + " has " + newShape.size());
        }
        return new Tensor(storage, offset, newShape, name);
    }

    /** The first {@code n} entries along axis 0: the view used for a last, smaller batch. */
    public Tensor firstRows(int n) {
        if (n < 0 || n > shape.dim(0)) {
            throw new IllegalArgumentException("firstRows of '" + name + "' " + shape + ": " + n + " rows");
        }
        return new Tensor(storage, offset, shape.with(0, n), name);
    }

    /** A view of {@code shape} starting {@code elementOffset} elements into this tensor. */
    public Tensor slice(long elementOffset, Shape sliceShape, String sliceName) {
        if (elementOffset < 0 || elementOffset + sliceShape.size() > shape.size()) {
            throw new IllegalArgumentException("slice of '" + name + "' " + shape + ": " + sliceShape
                    + " at " + elementOffset);
        }
        return new Tensor(storage, offset + elementOffset, sliceShape, sliceName);
    }

    /** The backing array of a CPU tensor (its elements start at {@link #offset()}). */
    public float[] hostArray() {
        if (!(storage instanceof HostStorage h)) {
            throw new IllegalStateException("tensor '" + name + "' lives on " + device() + ", not in host memory");
        }
        return h.array();
    }

    /** Copies a CPU tensor's elements into a new array. */
    public float[] toArray() {
        float[] a = hostArray();
        float[] out = new float[(int) size()];
        System.arraycopy(a, (int) offset, out, 0, out.length);
        return out;
    }

    @Override
    public String toString() {
        return name + shape + "@" + device();
    }
}
