package io.kernelnet.backend.cpu;

import io.kernelnet.backend.AdamStep;
import io.kernelnet.backend.SgdStep;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;

/**
 * In-place optimizer updates, exactly the formulas of {@link SgdStep} and {@link AdamStep} (PyTorch), each element
 * computed in double and rounded once when stored. The gradient is only read: weight decay is applied to a copy.
 * A non-zero {@code halt} (one element, or null for none) skips the update after the arguments are checked.
 */
final class CpuOptimizers {
    private CpuOptimizers() {
    }

    static void sgd(Tensor param, Tensor grad, Tensor velocity, SgdStep step, Tensor halt) {
        String op = "sgdUpdate";
        boolean withMomentum = ShapeChecks.sgd(param, grad, velocity, step);
        if (halted(op, halt)) {
            return;
        }
        double lr = step.lr();
        double momentum = step.momentum();
        double weightDecay = step.weightDecay();
        float[] pa = param.hostArray();
        float[] ga = grad.hostArray();
        float[] va = withMomentum ? velocity.hostArray() : null;
        int po = (int) param.offset();
        int go = (int) grad.offset();
        int vo = withMomentum ? (int) velocity.offset() : 0;
        int n = (int) param.size();
        for (int i = 0; i < n; i++) {
            double p = pa[po + i];
            double g = ga[go + i] + weightDecay * p;
            if (withMomentum) {
                double v = momentum * va[vo + i] + g;
                va[vo + i] = (float) v;
                g = step.nesterov() ? g + momentum * v : v;
            }
            pa[po + i] = (float) (p - lr * g);
        }
    }

    static void adam(Tensor param, Tensor grad, Tensor m, Tensor v, AdamStep step, Tensor halt) {
        String op = "adamUpdate";
        ShapeChecks.adam(param, grad, m, v);
        if (halted(op, halt)) {
            return;
        }
        double lr = step.lr();
        double beta1 = step.beta1();
        double beta2 = step.beta2();
        double epsilon = step.epsilon();
        double correction1 = step.biasCorrection1();
        double correction2 = step.biasCorrection2();
        double l2 = step.decoupled() ? 0 : step.weightDecay();
        double shrink = step.decoupled() ? 1 - lr * step.weightDecay() : 1;
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
            pa[po + i] = (float) (p * shrink - lr * (mi / correction1) / (Math.sqrt(vi / correction2) + epsilon));
        }
    }

    static boolean halted(String op, Tensor halt) {
        if (halt == null) {
            return false;
        }
        ShapeChecks.scalar(op, "halt", halt);
        return halt.hostArray()[(int) halt.offset()] != 0;
    }
}
