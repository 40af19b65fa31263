package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** gemm, gemmBatched, biasAdd, biasGrad and add of the CPU reference backend. */
class GemmTest {
    /** Both sides sum in double and round once, so they agree to float rounding of the result. */
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-5;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final Backend cpu = new CpuBackend();

    // ---- gemm: known values ----------------------------------------------------------------------------------

    /** [1 2 3; 4 5 6] */
    private static Tensor a2x3() {
        return Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3));
    }

    /** [7 8; 9 10; 11 12] */
    private static Tensor b3x2() {
        return Tensor.wrap(new float[] {7, 8, 9, 10, 11, 12}, Shape.of(3, 2));
    }

    @Test
    void multipliesA2x3ByA3x2WrittenOut() {
        Tensor c = Tensor.zeros(Shape.of(2, 2));
        cpu.gemm(c, a2x3(), false, b3x2(), false, 1, 0);
        // [1 2 3; 4 5 6] [7 8; 9 10; 11 12] = [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
        assertArrayEquals(new float[] {58, 64, 139, 154}, c.toArray());
    }

    @Test
    void scalesTheProductByAlphaAndAddsBetaTimesC() {
        Tensor c = Tensor.wrap(new float[] {1, 2, 3, 4}, Shape.of(2, 2));
        cpu.gemm(c, a2x3(), false, b3x2(), false, 2, 0.5f);
        assertArrayEquals(new float[] {116.5f, 129, 279.5f, 310}, c.toArray());
    }

    @Test
    void transposedOperandsReadTheSameMatrices() {
        // a^T stored as [3, 2] and b^T stored as [2, 3] give the product of the written-out test above
        Tensor aT = Tensor.wrap(new float[] {1, 4, 2, 5, 3, 6}, Shape.of(3, 2));
        Tensor bT = Tensor.wrap(new float[] {7, 9, 11, 8, 10, 12}, Shape.of(2, 3));
        Tensor c = Tensor.zeros(Shape.of(2, 2));
        cpu.gemm(c, aT, true, bT, true, 1, 0);
        assertArrayEquals(new float[] {58, 64, 139, 154}, c.toArray());
    }

    @Test
    void betaZeroOverwritesNaNInC() {
        Tensor a = Tensor.wrap(rng.uniform(12, -1, 1), Shape.of(3, 4));
        Tensor b = Tensor.wrap(rng.uniform(20, -1, 1), Shape.of(4, 5));
        Tensor c = OffsetTensors.output(Shape.of(3, 5));
        cpu.gemm(c, a, false, b, false, 1.5f, 0);
        Compare.assertClose("gemm with beta 0 over NaN", naive(a.toArray(), b.toArray(), 3, 5, 4, 1.5f, 0,
                new float[15]), c.toArray(), ATOL, RTOL);
        OffsetTensors.assertNothingWrittenOutside("c", c);
    }

    // ---- gemm: random cross-checks -----------------------------------------------------------------------------

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void matchesTheProductOfExplicitlyTransposedCopiesAtOffsets(boolean transA, boolean transB) {
        int m = 5, n = 7, k = 3 + rng.nextInt(6);
        float[] opA = rng.uniform(m * k, -1, 1);
        float[] opB = rng.uniform(k * n, -1, 1);
        float[] c0 = rng.uniform(m * n, -1, 1);
        float alpha = 0.5f + rng.random().nextFloat();
        float beta = -0.75f;
        Tensor a = transA ? OffsetTensors.of(transpose(opA, m, k), Shape.of(k, m))
                : OffsetTensors.of(opA, Shape.of(m, k));
        Tensor b = transB ? OffsetTensors.of(transpose(opB, k, n), Shape.of(n, k))
                : OffsetTensors.of(opB, Shape.of(k, n));
        Tensor c = OffsetTensors.of(c0, Shape.of(m, n));

        cpu.gemm(c, a, transA, b, transB, alpha, beta);

        Compare.assertClose("gemm", naive(opA, opB, m, n, k, alpha, beta, c0), c.toArray(), ATOL, RTOL);
        OffsetTensors.assertNothingWrittenOutside("c", c);
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void batchedMatchesGemmOnEachSlice(boolean transA, boolean transB) {
        int batch = 3, m = 4, n = 5, k = 6;
        Shape aShape = transA ? Shape.of(batch, k, m) : Shape.of(batch, m, k);
        Shape bShape = transB ? Shape.of(batch, n, k) : Shape.of(batch, k, n);
        float[] aData = rng.uniform((int) aShape.size(), -1, 1);
        float[] bData = rng.uniform((int) bShape.size(), -1, 1);
        float[] cData = rng.uniform(batch * m * n, -1, 1);
        Tensor a = OffsetTensors.of(aData, aShape);
        Tensor b = OffsetTensors.of(bData, bShape);
        Tensor c = OffsetTensors.of(cData, Shape.of(batch, m, n));
        Tensor expected = Tensor.wrap(cData.clone(), Shape.of(batch, m, n));

        cpu.gemmBatched(c, a, transA, b, transB, 1.25f, 0.5f);

        for (int i = 0; i < batch; i++) {
            cpu.gemm(expected.slice((long) i * m * n, Shape.of(m, n), "c" + i),
                    a.slice((long) i * m * k, aShape.perExample(), "a" + i), transA,
                    b.slice((long) i * k * n, bShape.perExample(), "b" + i), transB, 1.25f, 0.5f);
        }
        Compare.assertClose("gemmBatched vs per-slice gemm", expected.toArray(), c.toArray(), 0, 0);
        OffsetTensors.assertNothingWrittenOutside("c", c);
    }

    @Test
    void gemmGivesTheBackwardOfADenseLayer() {
        // C = A B; with L = sum(dC * C): dL/dA = dC B^T and dL/dB = A^T dC, both computed by gemm itself
        int m = 3, k = 5, n = 4;
        float[] aData = rng.uniform(m * k, -1, 1);
        float[] bData = rng.uniform(k * n, -1, 1);
        float[] dC = rng.uniform(m * n, -1, 1);
        Tensor a = Tensor.wrap(aData, Shape.of(m, k));
        Tensor b = Tensor.wrap(bData, Shape.of(k, n));
        Tensor c = Tensor.zeros(Shape.of(m, n));
        Tensor dA = Tensor.zeros(Shape.of(m, k));
        Tensor dB = Tensor.zeros(Shape.of(k, n));
        cpu.gemm(dA, Tensor.wrap(dC, Shape.of(m, n)), false, b, true, 1, 0);
        cpu.gemm(dB, a, true, Tensor.wrap(dC, Shape.of(m, n)), false, 1, 0);

        DoubleSupplier loss = () -> {
            cpu.gemm(c, a, false, b, false, 1, 0);
            return GradientChecker.weightedSum(dC, c.toArray());
        };
        GradientChecker.check("dA = dC B^T", aData, dA.toArray(), loss,
                GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
        GradientChecker.check("dB = A^T dC", bData, dB.toArray(), loss,
                GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    // ---- bias and add ------------------------------------------------------------------------------------------

    @Test
    void biasAddAddsAlongAxisOneOfDenseAndImageTensors() {
        Tensor dense = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3));
        cpu.biasAdd(dense, Tensor.wrap(new float[] {10, 20, 30}, Shape.of(3)));
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, dense.toArray());

        // [n=2, c=2, h=1, w=3]: every pixel of channel c gets bias[c]
        Tensor image = OffsetTensors.of(new float[12], Shape.of(2, 2, 1, 3));
        cpu.biasAdd(image, OffsetTensors.of(new float[] {-1, 5}, Shape.of(2)));
        assertArrayEquals(new float[] {-1, -1, -1, 5, 5, 5, -1, -1, -1, 5, 5, 5}, image.toArray());
        OffsetTensors.assertNothingWrittenOutside("y", image);
    }

    @Test
    void biasGradSumsOverBatchAndPixelsAndOverwrites() {
        // dy [n=2, c=2, 3 pixels]
        Tensor dy = OffsetTensors.of(new float[] {1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60}, Shape.of(2, 2, 3));
        Tensor dBias = OffsetTensors.output(Shape.of(2));
        cpu.biasGrad(dBias, dy);
        assertArrayEquals(new float[] {1 + 2 + 3 + 4 + 5 + 6, 10 + 20 + 30 + 40 + 50 + 60}, dBias.toArray());
        OffsetTensors.assertNothingWrittenOutside("dBias", dBias);
    }

    @Test
    void biasGradIsTheGradientOfBiasAdd() {
        Shape shape = Shape.of(3, 4, 2, 5);
        float[] y0 = rng.uniform((int) shape.size(), -1, 1);
        float[] bias = rng.uniform(4, -1, 1);
        float[] dy = rng.uniform((int) shape.size(), -1, 1);
        Tensor dBias = Tensor.zeros(Shape.of(4));
        cpu.biasGrad(dBias, Tensor.wrap(dy, shape));

        Tensor y = Tensor.zeros(shape);
        GradientChecker.check("biasGrad", bias, dBias.toArray(), () -> {
            cpu.upload(y, y0, 0);
            cpu.biasAdd(y, Tensor.wrap(bias, Shape.of(4)));
            return GradientChecker.weightedSum(dy, y.toArray());
        }, GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    @Test
    void addSumsElementwiseAtOffsetsAndInPlace() {
        float[] aData = rng.uniform(6, -1, 1);
        float[] bData = rng.uniform(6, -1, 1);
        float[] sum = new float[6];
        for (int i = 0; i < 6; i++) {
            sum[i] = aData[i] + bData[i];
        }
        Tensor y = OffsetTensors.output(Shape.of(2, 3));
        cpu.add(y, OffsetTensors.of(aData, Shape.of(2, 3)), OffsetTensors.of(bData, Shape.of(2, 3)));
        assertArrayEquals(sum, y.toArray());
        OffsetTensors.assertNothingWrittenOutside("y", y);

        Tensor accumulator = Tensor.wrap(aData.clone(), Shape.of(2, 3));
        cpu.add(accumulator, accumulator, Tensor.wrap(bData, Shape.of(2, 3)));
        assertArrayEquals(sum, accumulator.toArray());
    }

    // ---- refused calls -----------------------------------------------------------------------------------------

    @Test
    void refusesMismatchedShapesNamingOpAndShapes() {
        Tensor a23 = Tensor.zeros(Shape.of(2, 3));
        Tensor b42 = Tensor.zeros(Shape.of(4, 2));
        Tensor b32 = Tensor.zeros(Shape.of(3, 2));
        assertRefusedBy("gemm", () -> cpu.gemm(Tensor.zeros(Shape.of(2, 2)), a23, false, b42, false, 1, 0),
                "inner dimensions", "[2, 3]", "[4, 2]");
        assertRefusedBy("gemm", () -> cpu.gemm(Tensor.zeros(Shape.of(3, 2)), a23, false, b32, false, 1, 0),
                "c has shape [3, 2]", "2x2");
        assertRefusedBy("gemm", () -> cpu.gemm(Tensor.zeros(Shape.of(2, 2)), a23, true, b32, false, 1, 0),
                "inner dimensions", "transposed");
        assertRefusedBy("gemm", () -> cpu.gemm(Tensor.zeros(Shape.of(1, 2, 2)), a23, false, b32, false, 1, 0),
                "rank 2", "[1, 2, 2]");

        assertRefusedBy("gemmBatched", () -> cpu.gemmBatched(Tensor.zeros(Shape.of(2, 2, 2)),
                        Tensor.zeros(Shape.of(3, 2, 3)), false, Tensor.zeros(Shape.of(2, 3, 2)), false, 1, 0),
                "batch sizes differ", "[3, 2, 3]", "[2, 3, 2]");
        assertRefusedBy("gemmBatched", () -> cpu.gemmBatched(Tensor.zeros(Shape.of(2, 2, 2)),
                        Tensor.zeros(Shape.of(2, 2, 3)), false, Tensor.zeros(Shape.of(2, 4, 2)), false, 1, 0),
                "inner dimensions", "[2, 2, 3]", "[2, 4, 2]");

        assertRefusedBy("biasAdd", () -> cpu.biasAdd(Tensor.zeros(Shape.of(2, 4)), Tensor.zeros(Shape.of(3))),
                "[3]", "[2, 4]");
        assertRefusedBy("biasAdd", () -> cpu.biasAdd(Tensor.zeros(Shape.of(4)), Tensor.zeros(Shape.of(4))),
                "rank >= 2", "[4]");
        assertRefusedBy("biasGrad", () -> cpu.biasGrad(Tensor.zeros(Shape.of(2, 2)), Tensor.zeros(Shape.of(5, 2))),
                "rank 1", "[2, 2]");
        assertRefusedBy("add", () -> cpu.add(Tensor.zeros(Shape.of(6)), Tensor.zeros(Shape.of(2, 3)),
                Tensor.zeros(Shape.of(3, 2))), "[2, 3]", "[3, 2]");
        assertRefusedBy("add", () -> cpu.add(Tensor.zeros(Shape.of(6)), Tensor.zeros(Shape.of(2, 3)),
                Tensor.zeros(Shape.of(2, 3))), "[6]", "[2, 3]");
    }

    // ---- the independent formula -------------------------------------------------------------------------------

    /** alpha * a b + beta * c for row-major a [m, k], b [k, n] by the textbook triple loop in double. */
    private static double[] naive(float[] a, float[] b, int m, int n, int k, float alpha, float beta, float[] c) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * b[p * n + j];
                }
                out[i * n + j] = alpha * s + (double) beta * c[i * n + j];
            }
        }
        return out;
    }

    private static float[] transpose(float[] matrix, int rows, int cols) {
        float[] t = new float[matrix.length];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                t[col * rows + r] = matrix[r * cols + col];
            }
        }
        return t;
    }
}
