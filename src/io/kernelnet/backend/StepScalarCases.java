package io.kernelnet.backend;

import static io.kernelnet.backend.CrossCheckCases.LARGE;
import static io.kernelnet.backend.CrossCheckCases.NONE;
import static io.kernelnet.backend.CrossCheckCases.uniform;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.List;

/**
 * The cross-check cases of the ops that read the step scalars: dropout and the optimizers (kernels/dropout.cu,
 * kernels/optim.cu), over several steps. Bounds: {@link CrossCheck}.
 */
final class StepScalarCases {
    private StepScalarCases() {
    }

    // ---- dropout ----------------------------------------------------------------------------------------------

    static void dropout(List<Case> cases) {
        Object[][] configs = {{0.5f, Shape.of(LARGE)}, {0f, Shape.of(7)}, {0.9f, Shape.of(1000, 33)},
            {0.25f, Shape.of(5)}};
        for (Object[] config : configs) {
            float rate = (Float) config[0];
            Shape s = (Shape) config[1];
            cases.add(new Case("dropoutForward", s + " rate " + rate, r -> {
                long seed = r.nextLong();
                // a generator position up to 2^44: every word of the step scalars' count, and the high word of the
                // Philox counter, matter
                long position = r.nextLong() >>> 20;
                long offset = r.nextInt(1 << 20);
                return new Setup()
                        .input("x", s, uniform(r, (int) s.size(), -1, 1))
                        .input("step", StepScalars.shape(), StepScalars.of(0f, 1, position))
                        .output("y", s, Tolerance.relative())
                        .output("mask", s, Tolerance.exact())
                        .run((b, t) -> {
                            b.dropoutForward(t.get("y"), t.get("mask"), t.get("x"), t.get("step"), rate, seed,
                                    offset);
                            return NONE;
                        });
            }));
        }
        Shape s = Shape.of(1000, 33);
        cases.add(new Case("dropoutBackward", s.toString(), r -> {
            float[] mask = new float[(int) s.size()];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = r.nextBoolean() ? 2f : 0f;
            }
            return new Setup()
                    .input("dy", s, uniform(r, mask.length, -1, 1))
                    .input("mask", s, mask)
                    .output("dx", s, Tolerance.exact())
                    .run((b, t) -> {
                        b.dropoutBackward(t.get("dx"), t.get("dy"), t.get("mask"));
                        return NONE;
                    });
        }));
    }

    // ---- optimizers -------------------------------------------------------------------------------------------

    private static final int PARAMS = 100_003;
    /** Row length of the per-step gradients: a multiple of 64, so that every step's slice stays aligned. */
    private static final int GRAD_STRIDE = 100_032;

    static void optimizers(List<Case> cases) {
        cases.add(sgd(0.1f, new SgdSettings(0, false, 0, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, false, 0, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, true, 1e-2f, false)));
        cases.add(sgd(0.1f, new SgdSettings(0, false, 1e-2f, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, true, 1e-2f, true)));
        cases.add(sgd(0.1f, new SgdSettings(0, false, 1e-2f, true)));
        // epsilon 1e-3 in the warm cases: large enough against sqrt(v) that a kernel adding it in the other place fails
        for (AdamEpsilon placement : AdamEpsilon.values()) {
            cases.add(adam("adam from zero state", placement, 1e-8f, false, 0, 1, false));
            cases.add(adam("adam + L2", placement, 1e-3f, false, 0.01f, 3, true));
            cases.add(adam("adamw", placement, 1e-3f, true, 0.01f, 10, true));
        }
        // the device's halt flag: set, the updates write nothing; clear, they run as without it
        for (float halt : new float[] {1f, 0f}) {
            cases.add(guarded(halt));
        }
    }

    private static Case guarded(float halt) {
        String shape = "[" + PARAMS + "] adam then sgd with momentum, halt = " + halt;
        return new Case("adamUpdate and sgdUpdate with a halt flag", shape, r -> new Setup()
                .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), halt != 0 ? Tolerance.exact()
                        : Tolerance.relative())
                .input("grad", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1))
                .inout("m", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative())
                .inout("v", Shape.of(PARAMS), uniform(r, PARAMS, 0, 0.01f), Tolerance.relative())
                .inout("velocity", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative())
                .input("halt", Shape.of(1), new float[] {halt})
                .input("step", StepScalars.shape(), StepScalars.of(1e-3f, 4, 0))
                .run((b, t) -> {
                    b.adamUpdate(t.get("param"), t.get("grad"), t.get("m"), t.get("v"), t.get("step"), t.get("halt"),
                            new AdamSettings(0.9f, 0.999f, 1e-8f, AdamEpsilon.KERAS, 0, false));
                    b.sgdUpdate(t.get("param"), t.get("grad"), t.get("velocity"), t.get("step"), t.get("halt"),
                            new SgdSettings(0.9f, false, 0, false));
                    return NONE;
                }));
    }

    /** {@code steps} updates, one step scalars row each: the learning rate of step i is {@code lr} * (i + 1). */
    private static float[] stepScalarRows(int steps, float lr, long firstStep) {
        float[] rows = new float[steps * StepScalars.SIZE];
        for (int i = 0; i < steps; i++) {
            System.arraycopy(StepScalars.of(lr * (i + 1), firstStep + i, 0), 0, rows, i * StepScalars.SIZE,
                    StepScalars.SIZE);
        }
        return rows;
    }

    private static Tensor stepScalarsOf(Tensor rows, int step) {
        return rows.slice((long) step * StepScalars.SIZE, StepScalars.shape(), "step scalars " + step);
    }

    private static Case sgd(float lr, SgdSettings settings) {
        int steps = 3;
        String shape = "[" + PARAMS + "] x" + steps + " lr=" + lr + ".." + lr * steps + " momentum="
                + settings.momentum() + (settings.nesterov() ? " nesterov" : "") + " wd=" + settings.weightDecay()
                + (settings.decoupled() ? " decoupled" : "");
        boolean withVelocity = settings.momentum() != 0;
        return new Case("sgdUpdate", shape, r -> {
            Setup s = new Setup()
                    .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), Tolerance.relative())
                    .input("grads", Shape.of(steps, GRAD_STRIDE), uniform(r, steps * GRAD_STRIDE, -1, 1))
                    .input("steps", Shape.of(steps, StepScalars.SIZE), stepScalarRows(steps, lr, 1));
            if (withVelocity) {
                s.inout("velocity", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative());
            }
            return s.run((b, t) -> {
                for (int i = 0; i < steps; i++) {
                    b.sgdUpdate(t.get("param"), gradOfStep(t.get("grads"), i), withVelocity ? t.get("velocity") : null,
                            stepScalarsOf(t.get("steps"), i), settings);
                }
                return NONE;
            });
        });
    }

    private static Case adam(String name, AdamEpsilon placement, float epsilon, boolean decoupled, float weightDecay,
                             int firstStep, boolean warmState) {
        int steps = 5;
        return new Case("adamUpdate", "[" + PARAMS + "] " + name + " eps " + epsilon + " (" + placement.configName()
                + ") steps " + firstStep + ".." + (firstStep + steps - 1), r -> new Setup()
                .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), Tolerance.relative())
                .input("grads", Shape.of(steps, GRAD_STRIDE), uniform(r, steps * GRAD_STRIDE, -1, 1))
                .inout("m", Shape.of(PARAMS), warmState ? uniform(r, PARAMS, -0.1f, 0.1f) : new float[PARAMS],
                        Tolerance.relative())
                .inout("v", Shape.of(PARAMS), warmState ? uniform(r, PARAMS, 0, 0.01f) : new float[PARAMS],
                        Tolerance.relative())
                .input("steps", Shape.of(steps, StepScalars.SIZE), stepScalarRows(steps, 1e-3f, firstStep))
                .run((b, t) -> {
                    AdamSettings settings = new AdamSettings(0.9f, 0.999f, epsilon, placement, weightDecay, decoupled);
                    for (int i = 0; i < steps; i++) {
                        b.adamUpdate(t.get("param"), gradOfStep(t.get("grads"), i), t.get("m"), t.get("v"),
                                stepScalarsOf(t.get("steps"), i), settings);
                    }
                    return NONE;
                }));
    }

    private static Tensor gradOfStep(Tensor grads, int step) {
        return grads.slice((long) step * grads.dim(1), Shape.of(PARAMS), "grad " + step);
    }
}
