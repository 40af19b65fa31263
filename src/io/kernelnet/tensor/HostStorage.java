package io.kernelnet.tensor;

/** Storage in a Java float array, used by the CPU backend. */
public final class HostStorage extends Storage {
    private float[] array;

    public HostStorage(long capacity, String label) {
        super(capacity, label);
        if (capacity > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("storage '" + label + "': " + capacity
                    + " floats exceed what one Java array holds");
        }
        this.array = new float[(int) capacity];
    }

    /** Wraps an existing array without copying. */
    public HostStorage(float[] array, String label) {
        super(array.length, label);
        this.array = array;
    }

    public float[] array() {
        checkOpen();
        return array;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    protected void release() {
        array = null;
    }
}
