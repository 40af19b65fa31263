package io.kernelnet.backend;

import static io.kernelnet.backend.CrossCheckCases.ACTIVATIONS;
import static io.kernelnet.backend.CrossCheckCases.LARGE;
import static io.kernelnet.backend.CrossCheckCases.LEAKY_ALPHA;
import static io.kernelnet.backend.CrossCheckCases.NONE;
import static io.kernelnet.backend.CrossCheckCases.uniform;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.List;
import java.util.Random;

/**
 * The cross-check cases of the activations, the fused bias-activation epilogue and the softmax family over any
 * axis (kernels/elementwise.cu, kernels/bias.cu, kernels/softmax.cu). Bounds: {@link CrossCheck}.
 */
final class ActivationCases {
    private ActivationCases() {
    }

    // ---- activations ------------------------------------------------------------------------------------------

    static void activations(List<Case> cases) {
        Shape shape = Shape.of(1000, 129);
        for (Activation act : ACTIVATIONS) {
            cases.add(new Case("activationForward " + act, shape.toString(), r -> new Setup()
                    .input("x", shape, activationInput(r, act, (int) shape.size()))
                    .output("y", shape, activationTolerance(act))
                    .run((b, t) -> {
                        b.activationForward(t.get("y"), t.get("x"), act, LEAKY_ALPHA);
                        return NONE;
                    })));
            cases.add(new Case("activationBackward " + act, shape.toString(), r -> {
                float[] x = activationInput(r, act, (int) shape.size());
                return new Setup()
                        .input("dy", shape, uniform(r, x.length, -1, 1))
                        .input("x", shape, x)
                        .input("y", shape, activate(act, x))
                        .output("dx", shape, activationTolerance(act))
                        .run((b, t) -> {
                            b.activationBackward(t.get("dx"), t.get("dy"), t.get("x"), t.get("y"), act, LEAKY_ALPHA);
                            return NONE;
                        });
            }));
        }
        cases.add(new Case("activationForward RELU", Shape.of(LARGE).toString(), r -> new Setup()
                .input("x", Shape.of(LARGE), activationInput(r, Activation.RELU, LARGE))
                .output("y", Shape.of(LARGE), Tolerance.exact())
                .run((b, t) -> {
                    b.activationForward(t.get("y"), t.get("x"), Activation.RELU, 0);
                    return NONE;
                })));
        // in place (y = x, dx = dy), with null for the tensor the backward does not read
        Shape small = Shape.of(257, 33);
        for (Activation act : new Activation[] {Activation.RELU, Activation.SIGMOID}) {
            cases.add(new Case("activationForward " + act + " in place", small.toString(), r -> new Setup()
                    .inout("x", small, activationInput(r, act, (int) small.size()), activationTolerance(act))
                    .run((b, t) -> {
                        b.activationForward(t.get("x"), t.get("x"), act, LEAKY_ALPHA);
                        return NONE;
                    })));
        }
        for (Activation act : new Activation[] {Activation.LEAKY_RELU, Activation.TANH}) {
            boolean fromInput = act == Activation.LEAKY_RELU;
            cases.add(new Case("activationBackward " + act + " in place", small.toString(), r -> {
                float[] x = activationInput(r, act, (int) small.size());
                return new Setup()
                        .inout("dy", small, uniform(r, x.length, -1, 1), activationTolerance(act))
                        .input("saved", small, fromInput ? x : activate(act, x))
                        .run((b, t) -> {
                            Tensor saved = t.get("saved");
                            b.activationBackward(t.get("dy"), t.get("dy"), fromInput ? saved : null,
                                    fromInput ? null : saved, act, LEAKY_ALPHA);
                            return NONE;
                        });
            }));
        }
    }

    /**
     * The fused epilogue: Dense-like [n, c] and NCHW shapes, with and without a bias, in place; the backward also
     * at shapes whose channels the CUDA backend splits over sample ranges (a conv layer's 32 channels, a Dense
     * output with 3 units and many rows). The bias gradient's bound: sum |dy| per channel, which bounds sum |dz|
     * since |act'| <= 1 for all four.
     */
    static void biasActivation(List<Case> cases) {
        Shape[] shapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(2, 3, 33, 17)};
        for (Activation act : ACTIVATIONS) {
            for (Shape shape : shapes) {
                int c = shape.dim(1);
                boolean withBias = shape.rank() == 2 || act != Activation.TANH;
                cases.add(new Case("biasActivationForward " + act + (withBias ? "" : " no bias"), shape.toString(),
                        r -> {
                            Setup setup = new Setup()
                                    .input("z", shape, activationInput(r, act, (int) shape.size()))
                                    .output("y", shape, activationTolerance(act));
                            if (withBias) {
                                setup.input("bias", Shape.of(c), uniform(r, c, -1, 1));
                            }
                            return setup.run((b, t) -> {
                                b.biasActivationForward(t.get("y"), t.get("z"), withBias ? t.get("bias") : null, act,
                                        LEAKY_ALPHA);
                                return NONE;
                            });
                        }));
            }
        }
        Shape small = Shape.of(257, 33);
        cases.add(new Case("biasActivationForward RELU in place", small.toString(), r -> new Setup()
                .inout("z", small, uniform(r, (int) small.size(), -1, 1), Tolerance.exact())
                .input("bias", Shape.of(33), uniform(r, 33, -1, 1))
                .run((b, t) -> {
                    b.biasActivationForward(t.get("z"), t.get("z"), t.get("bias"), Activation.RELU, 0);
                    return NONE;
                })));
        Shape[] backwardShapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(128, 32, 13, 13),
            Shape.of(40000, 3)};
        for (Activation act : ACTIVATIONS) {
            for (Shape shape : backwardShapes) {
                cases.add(biasActivationBackward(act, shape, true, false));
            }
        }
        cases.add(biasActivationBackward(Activation.SIGMOID, small, false, false));
        cases.add(biasActivationBackward(Activation.LEAKY_RELU, Shape.of(128, 32, 13, 13), true, true));
    }

    private static Case biasActivationBackward(Activation act, Shape shape, boolean withBias, boolean inPlace) {
        String name = "biasActivationBackward " + act + (withBias ? "" : " no bias") + (inPlace ? " in place" : "");
        return new Case(name, shape.toString(), r -> {
            int c = shape.dim(1);
            int inner = (int) shape.sizeFrom(2);
            float[] y = activate(act, activationInput(r, act, (int) shape.size()));
            float[] dy = uniform(r, y.length, -1, 1);
            double[] scale = new double[c];
            for (int i = 0; i < dy.length; i++) {
                scale[i / inner % c] += Math.abs(dy[i]);
            }
            Setup setup = new Setup().input("y", shape, y);
            if (inPlace) {
                setup.inout("dy", shape, dy, activationTolerance(act));
            } else {
                setup.input("dy", shape, dy).output("dz", shape, activationTolerance(act));
            }
            if (withBias) {
                setup.output("dBias", Shape.of(c), Tolerance.scaled(Tolerance.FP32_BOUND, scale));
            }
            return setup.run((b, t) -> {
                Tensor dz = t.get(inPlace ? "dy" : "dz");
                b.biasActivationBackward(dz, withBias ? t.get("dBias") : null, t.get("dy"), t.get("y"), act,
                        LEAKY_ALPHA);
                return NONE;
            });
        });
    }

    /** ReLUs get exact zeros (their derivative there is a convention both backends must share); others a range. */
    private static float[] activationInput(Random r, Activation act, int n) {
        if (act == Activation.RELU || act == Activation.LEAKY_RELU) {
            float[] x = uniform(r, n, -1, 1);
            for (int i = 0; i < n; i += 1 + r.nextInt(16)) {
                x[i] = 0f;
            }
            return x;
        }
        return uniform(r, n, -4, 4);
    }

    /** The ReLUs are a comparison and one multiply: exact. Sigmoid and tanh use exp/tanh: relative. */
    private static Tolerance activationTolerance(Activation act) {
        return act == Activation.RELU || act == Activation.LEAKY_RELU ? Tolerance.exact() : Tolerance.relative();
    }

    private static float[] activate(Activation act, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            y[i] = switch (act) {
                case RELU -> Math.max(v, 0f);
                case LEAKY_RELU -> v > 0 ? v : LEAKY_ALPHA * v;
                case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
                case TANH -> (float) Math.tanh(v);
            };
        }
        return y;
    }

    // ---- softmax family ---------------------------------------------------------------------------------------

    /** A shape and the axis a softmax-family case runs over. */
    private record AxisCase(Shape shape, int axis) {
        int k() {
            return shape.dim(axis);
        }

        @Override
        public String toString() {
            return shape + " axis " + axis + (axis == shape.rank() - 1 ? " (last)" : "");
        }
    }

    /**
     * The last axis (the row kernels: rows of 1 to 4097 classes, none) and any other (the axis kernels: the
     * channels of NCHW, a middle axis, the first axis, an empty trailing axis, and a size-1 trailing axis, which is
     * a last axis again). The axis kernels sum a line in float in order, so their lines stay short (k <= 64) for the
     * relative bound.
     */
    static void softmax(List<Case> cases) {
        AxisCase[] shapes = {new AxisCase(Shape.of(1, 1), 1), new AxisCase(Shape.of(7, 10), 1),
            new AxisCase(Shape.of(129, 1000), 1), new AxisCase(Shape.of(5, 4097), 1), new AxisCase(Shape.of(0, 10), 1),
            new AxisCase(Shape.of(2, 64, 5, 7), 1), new AxisCase(Shape.of(3, 10, 33), 1),
            new AxisCase(Shape.of(2, 3, 4, 5), 2), new AxisCase(Shape.of(6, 5), 0), new AxisCase(Shape.of(2, 3, 0), 1),
            new AxisCase(Shape.of(4, 3, 1), 1), new AxisCase(Shape.of(64, 32, 26, 26), 1)};
        for (AxisCase a : shapes) {
            Shape s = a.shape();
            for (boolean log : new boolean[] {false, true}) {
                String name = log ? "logSoftmax" : "softmax";
                cases.add(new Case(name + "Forward", a.toString(), r -> new Setup()
                        .input("x", s, uniform(r, (int) s.size(), -3, 3))
                        .output("y", s, Tolerance.relative())
                        .run((b, t) -> {
                            if (log) {
                                b.logSoftmaxForward(t.get("y"), t.get("x"), a.axis());
                            } else {
                                b.softmaxForward(t.get("y"), t.get("x"), a.axis());
                            }
                            return NONE;
                        })));
                cases.add(new Case(name + "Backward", a.toString(), r -> new Setup()
                        .input("dy", s, uniform(r, (int) s.size(), -1, 1))
                        .input("y", s, softmaxLines(uniform(r, (int) s.size(), -3, 3), s, a.axis(), log))
                        .output("dx", s, Tolerance.relative())
                        .run((b, t) -> {
                            if (log) {
                                b.logSoftmaxBackward(t.get("dx"), t.get("dy"), t.get("y"), a.axis());
                            } else {
                                b.softmaxBackward(t.get("dx"), t.get("dy"), t.get("y"), a.axis());
                            }
                            return NONE;
                        })));
            }
        }
        Shape wide = Shape.of(64, 1000);
        cases.add(new Case("softmaxForward", wide + " logits in [-40, 40)", r -> new Setup()
                .input("x", wide, uniform(r, (int) wide.size(), -40, 40))
                .output("y", wide, Tolerance.relative())
                .run((b, t) -> {
                    b.softmaxForward(t.get("y"), t.get("x"), 1);
                    return NONE;
                })));
        Shape channels = Shape.of(4, 16, 9, 9);
        cases.add(new Case("softmaxForward", channels + " axis 1, logits in [-40, 40)", r -> new Setup()
                .input("x", channels, uniform(r, (int) channels.size(), -40, 40))
                .output("y", channels, Tolerance.relative())
                .run((b, t) -> {
                    b.softmaxForward(t.get("y"), t.get("x"), 1);
                    return NONE;
                })));
    }

    /** Softmax (or log-softmax) over {@code axis} of x in double, rounded once: realistic y for the backward cases. */
    static float[] softmaxLines(float[] x, Shape shape, int axis, boolean log) {
        int k = shape.dim(axis);
        int inner = (int) shape.sizeFrom(axis + 1);
        float[] y = new float[x.length];
        for (int line = 0; k > 0 && line < x.length / k; line++) {
            int base = line / inner * k * inner + line % inner;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, x[base + j * inner]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(x[base + j * inner] - max);
            }
            double lse = max + Math.log(sum);
            for (int j = 0; j < k; j++) {
                int at = base + j * inner;
                y[at] = (float) (log ? x[at] - lse : Math.exp(x[at] - lse));
            }
        }
        return y;
    }
}
