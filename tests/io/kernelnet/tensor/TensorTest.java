package io.kernelnet.tensor;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TensorTest {

    // ---- Shape ------------------------------------------------------------------------------------------------

    @Test
    void shapeSizesAndRowMajorStrides() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(3, s.rank());
        assertEquals(24, s.size());
        assertEquals(12, s.sizeFrom(1));
        assertEquals(1, s.sizeFrom(3));
        assertArrayEquals(new long[] {12, 4, 1}, s.strides());
        assertEquals(4, s.dim(-1));
        assertEquals(2, s.dim(0));
        assertEquals(1, Shape.of().size()); // a scalar
        assertEquals(0, Shape.of(5, 0).size());
    }

    @Test
    void shapeDerivationsEqualityAndText() {
        Shape s = Shape.of(2, 3, 4);
        assertEquals(Shape.of(2, 7, 4), s.with(1, 7));
        assertEquals(Shape.of(8, 2, 3, 4), s.batched(8));
        assertEquals(Shape.of(3, 4), s.perExample());
        assertEquals(Shape.of(2, 3, 4), s);
        assertEquals(Shape.of(2, 3, 4).hashCode(), s.hashCode());
        assertNotEquals(Shape.of(2, 12), s);
        assertEquals("[2, 3, 4]", s.toString());
        int[] dims = s.dims();
        dims[0] = 99; // a copy: the shape stays immutable
        assertEquals(2, s.dim(0));
        assertRefusedWith("shape [2, -1] has a negative dimension", () -> Shape.of(2, -1));
    }

    // ---- Tensor -----------------------------------------------------------------------------------------------

    @Test
    void wrapSharesTheArrayAndChecksTheSize() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.wrap(data, Shape.of(2, 3));
        assertSame(data, t.hostArray());
        assertEquals(0, t.offset());
        assertEquals(6, t.size());
        assertEquals(Device.CPU, t.device());
        assertRefusedWith("wrap: 5 floats for shape [2, 3] of 6", () -> Tensor.wrap(new float[5], Shape.of(2, 3)));
    }

    @Test
    void reshapeKeepsStorageAndOffsetAndNamesBothShapesWhenSizesDiffer() {
        Tensor base = Tensor.wrap(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape.of(10));
        Tensor view = base.slice(4, Shape.of(2, 3), "view");
        Tensor flat = view.reshape(Shape.of(6));
        assertSame(base.storage(), flat.storage());
        assertEquals(4, flat.offset());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, flat.toArray());
        assertRefusedWith("reshape of 'view': [2, 3] has 6 elements, [4, 2] has 8", () -> view.reshape(Shape.of(4, 2)));
    }

    @Test
    void firstRowsIsAPrefixView() {
        Tensor t = Tensor.wrap(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, Shape.of(8)).slice(2, Shape.of(3, 2), "batch");
        Tensor two = t.firstRows(2);
        assertEquals(Shape.of(2, 2), two.shape());
        assertEquals(2, two.offset());
        assertArrayEquals(new float[] {2, 3, 4, 5}, two.toArray());
        assertEquals(0, t.firstRows(0).size());
        assertRefusedWith("firstRows of 'batch' [3, 2]: 4 rows", () -> t.firstRows(4));
        assertRefusedWith("firstRows of 'batch' [3, 2]: -1 rows", () -> t.firstRows(-1));
    }

    @Test
    void slicesAccumulateOffsetsAndStayInBounds() {
        Tensor base = Tensor.wrap(new float[12], Shape.of(3, 4));
        Tensor outer = base.slice(2, Shape.of(8), "outer");
        Tensor inner = outer.slice(3, Shape.of(5), "inner");
        assertEquals(5, inner.offset());
        assertEquals("inner", inner.name());
        inner.hostArray()[(int) inner.offset()] = 42;
        assertEquals(42, base.toArray()[5]);
        assertEquals(42, outer.toArray()[3]);
        assertRefusedWith("slice of 'outer' [8]: [6] at 3", () -> outer.slice(3, Shape.of(6), "too long"));
        assertRefusedWith("slice of 'outer' [8]: [1] at -1", () -> outer.slice(-1, Shape.of(1), "before"));
    }

    @Test
    void aTensorMustFitItsStorage() {
        HostStorage storage = new HostStorage(10, "pool");
        assertEquals(10, new Tensor(storage, 4, Shape.of(3, 2), "fits").offset() + 6);
        assertRefusedWith("tensor 'big' [3, 2] at offset 5 does not fit in storage 'pool' of 10 floats",
                () -> new Tensor(storage, 5, Shape.of(3, 2), "big"));
        assertRefusedWith("tensor 'neg' [1] at offset -1 does not fit in storage 'pool' of 10 floats",
                () -> new Tensor(storage, -1, Shape.of(1), "neg"));
    }

    @Test
    void zerosAndToArrayHonourTheOffset() {
        Tensor z = Tensor.zeros(Shape.of(2, 2));
        assertArrayEquals(new float[4], z.toArray());
        float[] data = {9, 9, 1, 2, 9};
        assertArrayEquals(new float[] {1, 2}, Tensor.wrap(data, Shape.of(5)).slice(2, Shape.of(2), "mid").toArray());
    }

    @Test
    void aClosedStorageRefusesAccess() {
        HostStorage storage = new HostStorage(4, "freed");
        Tensor t = new Tensor(storage, 0, Shape.of(4), "t");
        storage.close();
        storage.close(); // closing twice is harmless
        IllegalStateException e = assertThrows(IllegalStateException.class, t::hostArray);
        assertEquals("storage 'freed' was closed", e.getMessage());
    }
}
