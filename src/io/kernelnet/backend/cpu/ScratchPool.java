package io.kernelnet.backend.cpu;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Reusable work buffers of the fast CPU ops. Each task takes a {@link Scratch} for its whole run and gives it back,
 * so training (the same shapes every step) allocates nothing after its first step, and no two tasks ever share
 * buffers, whatever the thread scheduling (a ThreadLocal would not guarantee that once fork-join threads help one
 * another's joins).
 */
final class ScratchPool {
    /** Last in, first out: the buffers most recently used are the ones most likely to be big enough and cached. */
    private final ConcurrentLinkedDeque<Scratch> free = new ConcurrentLinkedDeque<>();

    Scratch take() {
        Scratch s = free.pollFirst();
        return s != null ? s : new Scratch();
    }

    void give(Scratch s) {
        free.offerFirst(s);
    }

    /** What a buffer is for; one task may hold several at once. */
    enum Use {
        /** Patch rows of a few samples (im2row) or their gradient. */
        PATCHES,
        /** A matrix product before it is scattered into the output. */
        PRODUCT,
        /** opB packed for the GEMM kernel. */
        OPERAND,
        /** An output gradient gathered as [positions, channels]. */
        GATHERED,
        /** Per-chunk partial sums of a filter gradient. */
        PARTIALS,
        /** The GEMM kernel's own: its accumulators. */
        TILE
    }

    /**
     * One task's buffers: matrices as arrays of rows, because the plain GEMM kernel's inner loop only vectorizes
     * over arrays indexed from 0 (see {@link RowGemmKernel#rowTimesRows}), and flat arrays. Rows may be longer than
     * asked for, and a matrix may have more rows.
     */
    static final class Scratch {
        private final float[][][] matrices = new float[Use.values().length][][];

        /**
         * At least {@code rows} rows of at least {@code cols} floats, contents undefined. Rows grow one by one, so
         * that a wide, short request followed by a narrow, tall one does not keep a wide and tall matrix.
         */
        float[][] rows(Use use, int rows, int cols) {
            float[][] m = matrices[use.ordinal()];
            if (m == null || m.length < rows) {
                m = m == null ? new float[rows][] : Arrays.copyOf(m, rows);
                matrices[use.ordinal()] = m;
            }
            for (int i = 0; i < rows; i++) {
                if (m[i] == null || m[i].length < cols) {
                    m[i] = new float[cols];
                }
            }
            return m;
        }

        /** At least {@code size} floats, contents undefined: row 0 of {@link #rows}. */
        float[] flat(Use use, int size) {
            return rows(use, 1, size)[0];
        }
    }
}
