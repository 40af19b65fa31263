package io.kernelnet.tensor;

import java.util.Arrays;

/** An immutable list of non-negative dimensions, row-major (NCHW for images). */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " has a negative dimension");
            }
        }
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis < 0 ? dims.length + axis : axis];
    }

    public int[] dims() {
        return dims.clone();
    }

    /** Number of elements. */
    public long size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** Product of the dimensions from {@code axis} on (the stride of axis-1 in a contiguous tensor). */
    public long sizeFrom(int axis) {
        long n = 1;
        for (int i = axis; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }

    /** Contiguous row-major strides, in elements. */
    public long[] strides() {
        long[] s = new long[dims.length];
        long stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= dims[i];
        }
        return s;
    }

    /** The same shape with dimension {@code axis} replaced. */
    public Shape with(int axis, int value) {
        int[] d = dims.clone();
        d[axis] = value;
        return of(d);
    }

    /** This shape with {@code n} prepended (a batch of this shape). */
    public Shape batched(int n) {
        int[] d = new int[dims.length + 1];
        d[0] = n;
        System.arraycopy(dims, 0, d, 1, dims.length);
        return of(d);
    }

    /** This shape without its first dimension. */
    public Shape perExample() {
        return new Shape(Arrays.copyOfRange(dims, 1, dims.length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i]);
        }
        return sb.append(']').toString();
    }
}
