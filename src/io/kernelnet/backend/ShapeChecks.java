package io.kernelnet.backend;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;

/**
 * Argument validation shared by every backend, so that the CPU reference and the CUDA path refuse the same
 * calls with the same message: the op, the argument and the shapes. {@link CheckedBackend} runs them before every
 * op of every backend.
 */
public final class ShapeChecks {
    private ShapeChecks() {
    }

    public static IllegalArgumentException error(String op, String message) {
        return new IllegalArgumentException(op + ": " + message);
    }

    public static void notNull(String op, String arg, Tensor t) {
        if (t == null) {
            throw error(op, arg + " is null");
        }
    }

    /** A one-element output of a reduction or loss, or the halt flag (null allowed only where the op says). */
    public static void scalar(String op, String arg, Tensor t) {
        notNull(op, arg, t);
        if (t.size() != 1) {
            throw error(op, arg + " '" + t.name() + "' must hold one element, has shape " + t.shape());
        }
    }

    public static void shapeIs(String op, String arg, Tensor t, Shape expected) {
        notNull(op, arg, t);
        if (!t.shape().equals(expected)) {
            throw error(op, arg + " has shape " + t.shape() + ", expected " + expected);
        }
    }

    public static void rankIs(String op, String arg, Tensor t, int rank) {
        notNull(op, arg, t);
        if (t.rank() != rank) {
            throw error(op, arg + " must have rank " + rank + ", got shape " + t.shape());
        }
    }

    public static void sameShape(String op, String argA, Tensor a, String argB, Tensor b) {
        notNull(op, argA, a);
        notNull(op, argB, b);
        if (!a.shape().equals(b.shape())) {
            throw error(op, argA + " " + a.shape() + " and " + argB + " " + b.shape() + " must have the same shape");
        }
    }

    public static void sameSize(String op, String argA, Tensor a, String argB, Tensor b) {
        notNull(op, argA, a);
        notNull(op, argB, b);
        if (a.size() != b.size()) {
            throw error(op, argA + " " + a.shape() + " and " + argB + " " + b.shape()
                    + " must have the same number of elements");
        }
    }

    /** Returns {M, N, K} of c = op(a) op(b) for 2D tensors. */
    public static int[] gemm(String op, Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        rankIs(op, "c", c, 2);
        rankIs(op, "a", a, 2);
        rankIs(op, "b", b, 2);
        return gemmDims(op, c.shape(), 0, a.shape(), transA, b.shape(), transB);
    }

    /** Returns {batch, M, N, K} for 3D tensors [batch, rows, cols]. */
    public static int[] gemmBatched(String op, Tensor c, Tensor a, boolean transA, Tensor b, boolean transB) {
        rankIs(op, "c", c, 3);
        rankIs(op, "a", a, 3);
        rankIs(op, "b", b, 3);
        int batch = c.dim(0);
        if (a.dim(0) != batch || b.dim(0) != batch) {
            throw error(op, "batch sizes differ: c " + c.shape() + ", a " + a.shape() + ", b " + b.shape());
        }
        int[] mnk = gemmDims(op, c.shape(), 1, a.shape(), transA, b.shape(), transB);
        return new int[] {batch, mnk[0], mnk[1], mnk[2]};
    }

    private static int[] gemmDims(String op, Shape c, int first, Shape a, boolean transA, Shape b, boolean transB) {
        int m = transA ? a.dim(first + 1) : a.dim(first);
        int k = transA ? a.dim(first) : a.dim(first + 1);
        int kb = transB ? b.dim(first + 1) : b.dim(first);
        int n = transB ? b.dim(first) : b.dim(first + 1);
        if (k != kb) {
            throw error(op, "inner dimensions differ: op(a) is " + m + "x" + k + " (a " + a + (transA ? " transposed" : "")
                    + "), op(b) is " + kb + "x" + n + " (b " + b + (transB ? " transposed" : "") + ")");
        }
        if (c.dim(first) != m || c.dim(first + 1) != n) {
            throw error(op, "c has shape " + c + ", expected " + m + "x" + n + " from a " + a + " and b " + b);
        }
        return new int[] {m, n, k};
    }

    /** Returns {n, channels, inner} for a bias along axis 1 of y. */
    public static int[] bias(String op, Tensor y, Tensor bias) {
        notNull(op, "y", y);
        rankIs(op, "bias", bias, 1);
        if (y.rank() < 2) {
            throw error(op, "y must have rank >= 2 (batch, channels, ...), got " + y.shape());
        }
        if (y.dim(1) != bias.dim(0)) {
            throw error(op, "bias " + bias.shape() + " does not match axis 1 of " + y.shape());
        }
        return new int[] {y.dim(0), y.dim(1), (int) y.shape().sizeFrom(2)};
    }

    /** gemmBiasActivation: the GEMM's shapes, bias [N], LeakyReLU's slope. Returns {M, N, K}. */
    public static int[] gemmBiasActivation(String op, Tensor c, Tensor a, Tensor b, Tensor bias, Activation act,
                                           float alpha) {
        int[] mnk = gemm(op, c, a, false, b, false);
        if (bias != null) {
            bias(op, c, bias);
        }
        leakySlope(op, act, alpha);
        return mnk;
    }

    private static void leakySlope(String op, Activation act, float alpha) {
        if (act == Activation.LEAKY_RELU && !(alpha >= 0)) {
            throw error(op, "leaky_relu's slope must be >= 0 (the gradient reads the sign of z from y), got " + alpha);
        }
    }

    /**
     * biasActivationForward (dy = null) and biasActivationBackward: out and in have one shape of rank >= 2, bias
     * (or dBias; may be null) runs along its axis 1, and LeakyReLU's slope is not negative. Returns {n, channels,
     * inner}.
     */
    public static int[] biasActivation(String op, String outArg, Tensor out, String inArg, Tensor in, Tensor bias,
                                       Activation act, float alpha) {
        sameShape(op, outArg, out, inArg, in);
        leakySlope(op, act, alpha);
        if (bias != null) {
            return bias(op, out, bias);
        }
        if (out.rank() < 2) {
            throw error(op, outArg + " must have rank >= 2 (batch, channels, ...), got " + out.shape());
        }
        return new int[] {out.dim(0), out.dim(1), (int) out.shape().sizeFrom(2)};
    }

    public static void conv2d(String op, Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        shapeIs(op, "input", x, g.inputShape());
        shapeIs(op, "weights", w, g.weightShape());
        shapeIs(op, "output", y, g.outputShape());
    }

    public static void pool2d(String op, Tensor y, Tensor x, Pool2dGeometry g) {
        shapeIs(op, "input", x, g.inputShape());
        shapeIs(op, "output", y, g.outputShape());
    }

    /** dx and x are the input's shape, dy, y and argmax the output's. */
    public static void maxPool2dBackward(String op, Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax,
                                         Pool2dGeometry g) {
        pool2d(op, dy, dx, g);
        shapeIs(op, "argmax", argmax, g.outputShape());
        shapeIs(op, "x", x, g.inputShape());
        shapeIs(op, "y", y, g.outputShape());
    }

    /** Returns {rows, classes} for a row-wise op over the last axis of a 2D tensor. */
    public static int[] rows(String op, Tensor t) {
        rankIs(op, "input", t, 2);
        if (t.dim(1) == 0) {
            throw error(op, "rows of " + t.shape() + " are empty");
        }
        return new int[] {t.dim(0), t.dim(1)};
    }

    /**
     * A softmax-family op over axis {@code axis} of {@code t} (any rank): returns {outer, k, inner}, t seen as
     * [outer, k, inner] with k = dim(axis). The axis may be empty only when t is.
     */
    public static int[] softmaxAxis(String op, String arg, Tensor t, int axis) {
        notNull(op, arg, t);
        if (axis < 0 || axis >= t.rank()) {
            throw error(op, "axis " + axis + " is not an axis of " + arg + " " + t.shape() + " (0 to "
                    + (t.rank() - 1) + ")");
        }
        long outer = 1;
        for (int d = 0; d < axis; d++) {
            outer *= t.dim(d);
        }
        int k = t.dim(axis);
        long inner = t.shape().sizeFrom(axis + 1);
        if (k == 0 && outer * inner > 0) {
            throw error(op, "axis " + axis + " of " + arg + " " + t.shape() + " is empty");
        }
        return new int[] {(int) outer, k, (int) inner};
    }

    public static void unitInterval(String op, String arg, float value) {
        if (!(value >= 0f && value < 1f)) {
            throw error(op, arg + " must be in [0, 1), got " + value);
        }
    }

    /** Labels [n] as class indices in [0, classes): refuses non-integers and values out of range. */
    public static void labels(String op, float[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            float l = labels[i];
            if (!(l >= 0 && l < classes) || l != Math.rint(l)) {
                throw error(op, "label " + l + " at row " + i + " is not a class index in [0, " + classes + ")");
            }
        }
    }

    /** upload and uploadAsync ({@code op}): {@code dst.size()} floats from {@code src[srcOffset..]} must exist. */
    public static void upload(String op, Tensor dst, int srcLength, int srcOffset) {
        if (srcOffset < 0 || srcOffset + dst.size() > srcLength) {
            throw error(op, dst.size() + " floats from offset " + srcOffset + " of an array of "
                    + srcLength + " into '" + dst.name() + "' " + dst.shape());
        }
    }

    /** download: all of {@code src} must fit in {@code dst[dstOffset..]}. */
    public static void download(int dstLength, int dstOffset, Tensor src) {
        if (dstOffset < 0 || dstOffset + src.size() > dstLength) {
            throw error("download", "'" + src.name() + "' " + src.shape() + " into an array of "
                    + dstLength + " at offset " + dstOffset);
        }
    }

    /**
     * A softmax cross-entropy's tensors: logits [n, k], probs and dLogits like logits, targets like logits or
     * (sparse) class labels [n]. Returns {n, k}. Label values are checked where the labels are read.
     */
    public static int[] softmaxCrossEntropy(String op, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets,
                                            boolean sparse) {
        int[] nk = rows(op, logits);
        sameShape(op, "probs", probs, "logits", logits);
        sameShape(op, "dLogits", dLogits, "logits", logits);
        if (sparse) {
            shapeIs(op, "labels", targets, Shape.of(nk[0]));
        } else {
            sameShape(op, "targets", targets, "logits", logits);
        }
        return nk;
    }

    /** The per-step values an op reads ({@link StepScalars}): a tensor of their shape. */
    public static void stepScalars(String op, Tensor step) {
        shapeIs(op, "step", step, StepScalars.shape());
    }

    /** sgdUpdate's tensors; a velocity only when the settings use momentum. */
    public static void sgd(Tensor param, Tensor grad, Tensor velocity, Tensor step, SgdSettings settings) {
        String op = "sgdUpdate";
        sameSize(op, "param", param, "grad", grad);
        stepScalars(op, step);
        if (settings.momentum() != 0) {
            if (velocity == null) {
                throw error(op, "velocity is null but momentum is " + settings.momentum()
                        + "; only momentum 0 runs without a velocity tensor");
            }
            sameSize(op, "param", param, "velocity", velocity);
        }
    }

    /** adamUpdate's tensors: all the size of param, and the step scalars. */
    public static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step) {
        String op = "adamUpdate";
        sameSize(op, "param", param, "grad", grad);
        sameSize(op, "param", param, "m", m);
        sameSize(op, "param", param, "v", v);
        stepScalars(op, step);
    }

    /** accuracyCount's tensors: scores [n, k]; labels [n] or like scores. Returns whether labels are one-hot rows. */
    public static boolean accuracy(Tensor scores, Tensor labels) {
        String op = "accuracyCount";
        int[] nk = rows(op, scores);
        notNull(op, "labels", labels);
        if (labels.rank() == 2) {
            sameShape(op, "labels", labels, "scores", scores);
            return true;
        }
        shapeIs(op, "labels", labels, Shape.of(nk[0]));
        return false;
    }
}
