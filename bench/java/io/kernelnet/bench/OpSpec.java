package io.kernelnet.bench;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.List;

/**
 * One Backend op at one shape, as {@code bench kernels} times it: its operands, the bytes and FLOPs one call must
 * move and do at least, and the call itself. The formulas are the table in bench/README.md: bytes count each operand
 * read or written once (4 bytes a float), nothing for caches or re-reads; FLOPs are counted for GEMM and convolution
 * only (2 per multiply-add), every other op being judged by its bytes. Backend-agnostic, so that the CPU tests run
 * every case's call on the reference backend to check its operands.
 */
public sealed interface OpSpec {
    /** The operand shapes, in the order {@link #launch} takes them. */
    List<Shape> operands();

    /** Bytes one call reads and writes at least. */
    long bytes();

    /** Floating-point operations of one call; 0 where the op is judged by bytes alone. */
    default long flops() {
        return 0;
    }

    /** The shapes, for tables and JSON: "[128, 784] x [784, 128]". */
    String shapes();

    /** Sets the operands that random values do not suit (labels, argmax); the others stay random. */
    default void prepare(Backend b, Tensor[] t) {
    }

    /** How the backend will compute it and the workspace it needs (convolutions); none for the others. */
    default ConvPlan plan(Backend b) {
        return new ConvPlan(0, "");
    }

    void launch(Backend b, Tensor[] t);

    /** c [m, n] = op(a) op(b), beta 0 (c written, not read). */
    record Gemm(int m, int n, int k, boolean transA, boolean transB) implements OpSpec {
        public List<Shape> operands() {
            return List.of(transA ? Shape.of(k, m) : Shape.of(m, k), transB ? Shape.of(n, k) : Shape.of(k, n),
                    Shape.of(m, n));
        }

        public long bytes() {
            return 4L * ((long) m * k + (long) k * n + (long) m * n);
        }

        @Override
        public long flops() {
            return 2L * m * n * k;
        }

        public String shapes() {
            return "[" + m + ", " + k + "]" + (transA ? "^T" : "") + " x [" + k + ", " + n + "]" + (transB ? "^T" : "");
        }

        public void launch(Backend b, Tensor[] t) {
            b.gemm(t[2], t[0], transA, t[1], transB, 1f, 0f);
        }
    }

    enum ConvPass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    /** The three passes read two of x, w, dy-or-y and write the third: x + w + y floats, 2 FLOPs a multiply-add. */
    record Conv(Conv2dGeometry g, ConvPass pass) implements OpSpec {
        public List<Shape> operands() {
            return switch (pass) {
                case FORWARD -> List.of(g.inputShape(), g.weightShape(), g.outputShape());
                case BACKWARD_DATA -> List.of(g.outputShape(), g.weightShape(), g.inputShape());
                case BACKWARD_FILTER -> List.of(g.outputShape(), g.inputShape(), g.weightShape());
            };
        }

        public long bytes() {
            return 4 * (g.inputShape().size() + g.weightShape().size() + g.outputShape().size());
        }

        @Override
        public long flops() {
            return 2 * g.outputShape().size() * g.cIn() * g.kh() * g.kw();
        }

        public String shapes() {
            return g.inputShape() + " * " + g.weightShape() + " -> " + g.outputShape();
        }

        @Override
        public ConvPlan plan(Backend b) {
            return b.planConv2d(g);
        }

        public void launch(Backend b, Tensor[] t) {
            switch (pass) {
                case FORWARD -> b.conv2dForward(t[2], t[0], t[1], g);
                case BACKWARD_DATA -> b.conv2dBackwardData(t[2], t[0], t[1], g);
                case BACKWARD_FILTER -> b.conv2dBackwardFilter(t[2], t[0], t[1], g);
            }
        }
    }

    /** Forward reads x, writes y and argmax. */
    record MaxPoolForward(Pool2dGeometry g) implements OpSpec {
        public List<Shape> operands() {
            return List.of(g.inputShape(), g.outputShape(), g.outputShape());
        }

        public long bytes() {
            return 4 * (g.inputShape().size() + 2 * g.outputShape().size());
        }

        public String shapes() {
            return g.inputShape() + " " + g.kh() + "x" + g.kw() + " -> " + g.outputShape();
        }

        public void launch(Backend b, Tensor[] t) {
            b.maxPool2dForward(t[1], t[2], t[0], g);
        }
    }

    /**
     * Operands x, y, argmax (from a forward pass), dy, dx. Bytes are our kernel's: dy and argmax read, dx written
     * (cuDNN reads x, y and dy instead, 8 (x + y) bytes, so its GB/s by this formula is a lower bound).
     */
    record MaxPoolBackward(Pool2dGeometry g) implements OpSpec {
        public List<Shape> operands() {
            return List.of(g.inputShape(), g.outputShape(), g.outputShape(), g.outputShape(), g.inputShape());
        }

        public long bytes() {
            return 4 * (g.inputShape().size() + 2 * g.outputShape().size());
        }

        public String shapes() {
            return g.outputShape() + " " + g.kh() + "x" + g.kw() + " -> " + g.inputShape();
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.maxPool2dForward(t[1], t[2], t[0], g);
        }

        public void launch(Backend b, Tensor[] t) {
            b.maxPool2dBackward(t[4], t[3], t[0], t[1], t[2], g);
        }
    }

    /** y += bias in place: y read and written, bias read. */
    record BiasAdd(Shape y) implements OpSpec {
        public List<Shape> operands() {
            return List.of(y, Shape.of(y.dim(1)));
        }

        public long bytes() {
            return 4 * (2 * y.size() + y.dim(1));
        }

        public String shapes() {
            return y + " + [" + y.dim(1) + "]";
        }

        public void launch(Backend b, Tensor[] t) {
            b.biasAdd(t[0], t[1]);
        }
    }

    /** dBias = dy summed over all axes but 1: dy read, dBias written. */
    record BiasGrad(Shape dy) implements OpSpec {
        public List<Shape> operands() {
            return List.of(dy, Shape.of(dy.dim(1)));
        }

        public long bytes() {
            return 4 * (dy.size() + dy.dim(1));
        }

        public String shapes() {
            return dy + " -> [" + dy.dim(1) + "]";
        }

        public void launch(Backend b, Tensor[] t) {
            b.biasGrad(t[1], t[0]);
        }
    }

    /** y = act(x): x read, y written. */
    record ActivationForward(Shape x, Activation act) implements OpSpec {
        public List<Shape> operands() {
            return List.of(x, x);
        }

        public long bytes() {
            return 8 * x.size();
        }

        public String shapes() {
            return x.toString();
        }

        public void launch(Backend b, Tensor[] t) {
            b.activationForward(t[1], t[0], act, 0f);
        }
    }

    /** Operands dy, x, y, dx; dy and one of x or y read (x for ReLU), dx written. */
    record ActivationBackward(Shape x, Activation act) implements OpSpec {
        public List<Shape> operands() {
            return List.of(x, x, x, x);
        }

        public long bytes() {
            return 12 * x.size();
        }

        public String shapes() {
            return x.toString();
        }

        public void launch(Backend b, Tensor[] t) {
            b.activationBackward(t[3], t[0], t[1], t[2], act, 0f);
        }
    }

    /** y = a + b: two reads, one write. */
    record Add(Shape x) implements OpSpec {
        public List<Shape> operands() {
            return List.of(x, x, x);
        }

        public long bytes() {
            return 12 * x.size();
        }

        public String shapes() {
            return x.toString();
        }

        public void launch(Backend b, Tensor[] t) {
            b.add(t[2], t[0], t[1]);
        }
    }

    /** x read, y and mask written; the step scalars' 32 bytes are left out of the count (not per element). */
    record DropoutForward(Shape x, float rate) implements OpSpec {
        public List<Shape> operands() {
            return List.of(x, x, x, StepScalars.shape());
        }

        public long bytes() {
            return 12 * x.size();
        }

        public String shapes() {
            return x + " rate " + rate;
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.upload(t[3], StepScalars.of(0f, 1, 1L << 20), 0);
        }

        public void launch(Backend b, Tensor[] t) {
            b.dropoutForward(t[1], t[2], t[0], t[3], rate, 1234, 0);
        }
    }

    /** dx = dy * mask: two reads, one write. */
    record DropoutBackward(Shape x) implements OpSpec {
        public List<Shape> operands() {
            return List.of(x, x, x);
        }

        public long bytes() {
            return 12 * x.size();
        }

        public String shapes() {
            return x.toString();
        }

        public void launch(Backend b, Tensor[] t) {
            b.dropoutBackward(t[2], t[0], t[1]);
        }
    }

    /**
     * The loss step of both models: softmaxCrossEntropySparse over logits [rows, classes] and labels [rows]; logits
     * and labels read, probs and dLogits written. The call returns the loss to the host, so its time includes that
     * read-back.
     */
    record SoftmaxCrossEntropy(int rows, int classes) implements OpSpec {
        public List<Shape> operands() {
            return List.of(Shape.of(rows, classes), Shape.of(rows), Shape.of(rows, classes), Shape.of(rows, classes));
        }

        public long bytes() {
            return 4 * (3L * rows * classes + rows);
        }

        public String shapes() {
            return "[" + rows + ", " + classes + "]";
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.upload(t[1], labels(rows, classes), 0);
        }

        public void launch(Backend b, Tensor[] t) {
            b.softmaxCrossEntropySparse(t[2], t[3], t[0], t[1]);
        }
    }

    /** Row softmax (the predict path): x read, y written. */
    record Softmax(int rows, int classes) implements OpSpec {
        public List<Shape> operands() {
            return List.of(Shape.of(rows, classes), Shape.of(rows, classes));
        }

        public long bytes() {
            return 8L * rows * classes;
        }

        public String shapes() {
            return "[" + rows + ", " + classes + "]";
        }

        public void launch(Backend b, Tensor[] t) {
            b.softmaxForward(t[1], t[0], 1);
        }
    }

    /** Adam over a flat run of parameters: p, g, m, v read; p, m, v written (the step scalars left out). */
    record Adam(long count) implements OpSpec {
        private static final AdamSettings SETTINGS =
                new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0f, false);

        public List<Shape> operands() {
            Shape s = Shape.of(Math.toIntExact(count));
            return List.of(s, s, s, s, StepScalars.shape());
        }

        public long bytes() {
            return 28 * count;
        }

        public String shapes() {
            return "[" + count + "]";
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.fill(t[3], 0.25f); // the second moment is never negative
            b.upload(t[4], StepScalars.of(0.001f, 10, 0), 0);
        }

        public void launch(Backend b, Tensor[] t) {
            b.adamUpdate(t[0], t[1], t[2], t[3], t[4], SETTINGS);
        }
    }

    /** SGD with momentum: p, g, velocity read; p, velocity written (the step scalars left out). */
    record Sgd(long count) implements OpSpec {
        private static final SgdSettings SETTINGS = new SgdSettings(0.9f, false, 0f, false);

        public List<Shape> operands() {
            Shape s = Shape.of(Math.toIntExact(count));
            return List.of(s, s, s, StepScalars.shape());
        }

        public long bytes() {
            return 20 * count;
        }

        public String shapes() {
            return "[" + count + "]";
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.upload(t[3], StepScalars.of(0.01f, 1, 0), 0);
        }

        public void launch(Backend b, Tensor[] t) {
            b.sgdUpdate(t[0], t[1], t[2], t[3], SETTINGS);
        }
    }

    /** Sum of all elements (the step's finite check over the gradients): x read; includes the read-back. */
    record Sum(long count) implements OpSpec {
        public List<Shape> operands() {
            return List.of(Shape.of(Math.toIntExact(count)));
        }

        public long bytes() {
            return 4 * count;
        }

        public String shapes() {
            return "[" + count + "]";
        }

        public void launch(Backend b, Tensor[] t) {
            b.sum(t[0]);
        }
    }

    /** Correct predictions of scores [rows, classes] against labels [rows]: both read; includes the read-back. */
    record AccuracyCount(int rows, int classes) implements OpSpec {
        public List<Shape> operands() {
            return List.of(Shape.of(rows, classes), Shape.of(rows));
        }

        public long bytes() {
            return 4 * ((long) rows * classes + rows);
        }

        public String shapes() {
            return "[" + rows + ", " + classes + "]";
        }

        @Override
        public void prepare(Backend b, Tensor[] t) {
            b.upload(t[1], labels(rows, classes), 0);
        }

        public void launch(Backend b, Tensor[] t) {
            b.accuracyCount(t[0], t[1]);
        }
    }

    /** dst = src, a device-to-device copy (cuMemcpyDtoDAsync): the bandwidth ceiling, read + write counted. */
    record Copy(long count) implements OpSpec {
        public List<Shape> operands() {
            Shape s = Shape.of(Math.toIntExact(count));
            return List.of(s, s);
        }

        public long bytes() {
            return 8 * count;
        }

        public String shapes() {
            return "[" + count + "]";
        }

        public void launch(Backend b, Tensor[] t) {
            b.copy(t[1], t[0]);
        }
    }

    /** Class labels 0, 1, ..., classes - 1, 0, ... as floats. */
    private static float[] labels(int rows, int classes) {
        float[] l = new float[rows];
        for (int i = 0; i < rows; i++) {
            l[i] = i % classes;
        }
        return l;
    }
}
