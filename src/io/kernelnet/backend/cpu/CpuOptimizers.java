package io.kernelnet.backend.cpu;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Tensor;

/**
 * In-place optimizer updates, exactly the formulas of {@link SgdSettings} and {@link AdamSettings}, each element
 * computed in double and rounded once when stored, the learning rate and step number read from the
 * {@link StepScalars}. The gradient is only read: L2 weight decay is applied to a copy. A non-zero {@code halt}
 * (one element, or null for none) skips the update after the arguments are checked.
 */
final class CpuOptimizers {
    private CpuOptimizers() {
    }

    static void sgd(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt, SgdSettings settings) {
        if (halted(halt)) {
            return;
        }
        boolean withMomentum = settings.momentum() != 0;
        double lr = StepScalars.learningRate(step);
        double momentum = settings.momentum();
        double l2 = settings.decoupled() ? 0 : settings.weightDecay();
        double shrink = settings.decoupled() ? 1 - lr * settings.weightDecay() : 1;
        float[] pa = param.hostArray();
        float[] ga = grad.hostArray();
        float[] va = withMomentum ? velocity.hostArray() : null;
        int po = (int) param.offset();
        int go = (int) grad.offset();
        int vo = withMomentum ? (int) velocity.offset() : 0;
        int n = (int) param.size();
        for (int i = 0; i < n; i++) {
            double p = pa[po + i] * shrink;
            double g = ga[go + i] + l2 * pa[po + i];
            if (withMomentum) {
                double v = momentum * va[vo + i] + g;
                va[vo + i] = (float) v;
                g = settings.nesterov() ? g + momentum * v : v;
            }
            pa[po + i] = (float) (p - lr * g);
        }
    }

    static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                     AdamSettings settings) {
        if (halted(halt)) {
            return;
        }
        long t = adamStep(step);
        double lr = StepScalars.learningRate(step);
        double beta1 = settings.beta1();
        double beta2 = settings.beta2();
        double epsilon = settings.epsilon();
        double correction1 = settings.biasCorrection1(t);
        double correction2 = settings.biasCorrection2(t);
        boolean keras = settings.epsilonPlacement() == AdamEpsilon.KERAS;
        double kerasStepSize = lr * Math.sqrt(correction2) / correction1;
        double l2 = settings.decoupled() ? 0 : settings.weightDecay();
        double shrink = settings.decoupled() ? 1 - lr * settings.weightDecay() : 1;
        float[] pa = param.hostArray();
        float[] ga = grad.hostArray();
        float[] ma = m.hostArray();
        float[] va = v.hostArray();
        int po = (int) param.offset();
        int go = (int) grad.offset();
        int mo = (int) m.offset();
        int vo = (int) v.offset();
        int n = (int) param.size();
        for (int i = 0; i < n; i++) {
            double p = pa[po + i];
            double g = ga[go + i] + l2 * p;
            double mi = beta1 * ma[mo + i] + (1 - beta1) * g;
            double vi = beta2 * va[vo + i] + (1 - beta2) * g * g;
            ma[mo + i] = (float) mi;
            va[vo + i] = (float) vi;
            double update = keras ? kerasStepSize * mi / (Math.sqrt(vi) + epsilon)
                    : lr * (mi / correction1) / (Math.sqrt(vi / correction2) + epsilon);
            pa[po + i] = (float) (p * shrink - update);
        }
    }

    /** Whether the halt flag (null: none) is set. */
    static boolean halted(Tensor halt) {
        return halt != null && halt.hostArray()[(int) halt.offset()] != 0;
    }

    /** Adam's step number t from the step scalars, refused below 1 (its bias corrections divide by 1 - beta^t). */
    static long adamStep(Tensor step) {
        long t = StepScalars.step(step);
        if (t < 1) {
            throw ShapeChecks.error("adamUpdate", "the step scalars hold step " + t + "; Adam counts steps from 1");
        }
        return t;
    }
}
