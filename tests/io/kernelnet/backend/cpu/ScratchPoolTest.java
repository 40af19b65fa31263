package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import org.junit.jupiter.api.Test;

/**
 * Scratch is reused, so that training allocates nothing after its first step: a scratch given back is the next one
 * taken, and a buffer that already fits a request is returned again; one that does not grows, row by row.
 */
class ScratchPoolTest {
    @Test
    void aScratchGivenBackIsTheNextTaken() {
        ScratchPool pool = new ScratchPool();
        Scratch first = pool.take();
        Scratch second = pool.take();
        assertNotSame(first, second, "two tasks never share one");
        pool.give(first);
        assertSame(first, pool.take());
    }

    @Test
    void buffersThatFitAreReusedAndOthersGrowRowByRow() {
        Scratch s = new ScratchPool().take();
        float[][] m = s.rows(Use.OPERAND, 3, 8);
        assertEquals(3, m.length);
        float[] row0 = m[0];
        assertSame(m, s.rows(Use.OPERAND, 3, 8), "the same request: the same matrix");
        assertSame(m, s.rows(Use.OPERAND, 2, 5), "a smaller request: the same matrix");
        float[][] taller = s.rows(Use.OPERAND, 4, 8);
        assertEquals(4, taller.length);
        assertSame(row0, taller[0], "rows that fit are kept when the matrix grows");
        float[][] wider = s.rows(Use.OPERAND, 4, 9);
        assertTrue(wider[0].length >= 9 && wider[3].length >= 9);
        assertNotSame(row0, wider[0], "a row too narrow is replaced");
        assertSame(s.flat(Use.TILE, 16), s.flat(Use.TILE, 16));
        assertNotSame(s.flat(Use.TILE, 16), s.flat(Use.PATCHES, 16), "each use has its own buffers");
    }
}
