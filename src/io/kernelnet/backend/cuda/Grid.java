package io.kernelnet.backend.cuda;

/** The grid of a kernel launch, in blocks of {@link LaunchConfig#BLOCK} threads. */
record Grid(int x, int y, int z) {
    Grid {
        if (x <= 0 || y <= 0 || z <= 0) {
            throw new IllegalArgumentException("a grid of " + x + " x " + y + " x " + z + " blocks: every extent must be"
                    + " at least 1 (callers skip empty work)");
        }
    }

    /** A one-dimensional grid of {@code x} blocks. */
    static Grid of(int x) {
        return new Grid(x, 1, 1);
    }
}
