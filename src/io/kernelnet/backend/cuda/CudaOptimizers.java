package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.count;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.tensor.Tensor;

/**
 * The CUDA backend's optimizer updates (kernels/optim.cu): in place, the learning rate and step number read on the
 * device from the step scalars, skipped there while the halt flag is set.
 */
final class CudaOptimizers {
    private final KernelLauncher launch;

    CudaOptimizers(KernelLauncher launch) {
        this.launch = launch;
    }

    void sgd(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt, SgdSettings settings) {
        String op = "sgdUpdate";
        DevicePointer haltPtr = launch.ptrOrNull(op, "halt", halt);
        int n = count(op, param);
        DevicePointer vel = settings.momentum() != 0 ? launch.ptr(op, "velocity", velocity) : null;
        if (n > 0) {
            launch.kernels.sgd(op, launch.elementwiseGrid(n), launch.ptr(op, "param", param),
                    launch.ptr(op, "grad", grad), vel, launch.ptr(op, "step", step), haltPtr, n, settings.momentum(),
                    settings.nesterov() ? 1 : 0, settings.weightDecay(), settings.decoupled() ? 1 : 0);
        }
    }

    void adam(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt, AdamSettings settings) {
        String op = "adamUpdate";
        DevicePointer haltPtr = launch.ptrOrNull(op, "halt", halt);
        int n = count(op, param);
        if (n > 0) {
            launch.kernels.adam(op, launch.elementwiseGrid(n), launch.ptr(op, "param", param),
                    launch.ptr(op, "grad", grad), launch.ptr(op, "m", m), launch.ptr(op, "v", v),
                    launch.ptr(op, "step", step), haltPtr, n, settings.beta1(), settings.beta2(), settings.epsilon(),
                    settings.epsilonPlacement() == AdamEpsilon.KERAS ? 1 : 0, settings.weightDecay(),
                    settings.decoupled() ? 1 : 0);
        }
    }
}
