package io.kernelnet.backend.cuda;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Tensor;

/**
 * What the CUDA backend's op families share to launch our kernels on its tensors: the typed launches, the scalar
 * reducer and the staging buffer; a tensor's device address (refused when it lives elsewhere), the int element
 * counts the kernels index with, and the grid rules of kernels/CONTRACT.md. Shapes are checked before any of this
 * runs ({@link io.kernelnet.backend.CheckedBackend}); what is checked here is what only this device needs.
 */
final class KernelLauncher {
    final Kernels kernels;
    final ScalarReducer reducer;
    final PinnedStaging staging;
    private final DeviceMemory memory;
    private final Device device;
    private final int multiprocessors;

    KernelLauncher(Kernels kernels, ScalarReducer reducer, PinnedStaging staging, DeviceMemory memory, Device device,
                   int multiprocessors) {
        this.kernels = kernels;
        this.reducer = reducer;
        this.staging = staging;
        this.memory = memory;
        this.device = device;
        this.multiprocessors = multiprocessors;
    }

    /** The device address of a tensor, which must live in a storage of this backend. */
    DevicePointer ptr(String op, String arg, Tensor t) {
        ShapeChecks.notNull(op, arg, t);
        if (!(t.storage() instanceof CudaStorage s) || !memory.owns(s)) {
            throw ShapeChecks.error(op, arg + " '" + t.name() + "' lives on " + t.device()
                    + ", not in memory of this backend (" + device + ")");
        }
        return s.at(t.offset());
    }

    /** {@link #ptr}, or null for a null tensor (an optional argument: the kernel gets NULL). */
    DevicePointer ptrOrNull(String op, String arg, Tensor t) {
        return t == null ? null : ptr(op, arg, t);
    }

    void fillScalar(String op, DevicePointer out, float value) {
        kernels.fill(op, Grid.of(1), out, value, 1);
    }

    /** Kernels index elements with int. */
    static int count(String op, Tensor t) {
        if (t.size() > Integer.MAX_VALUE) {
            throw ShapeChecks.error(op, "'" + t.name() + "' " + t.shape() + " has " + t.size()
                    + " elements, more than the kernels' int indices reach");
        }
        return (int) t.size();
    }

    static void countAll(String op, Tensor... tensors) {
        for (Tensor t : tensors) {
            count(op, t);
        }
    }

    /** The grid of an elementwise kernel over n > 0 elements (kernels/CONTRACT.md). */
    Grid elementwiseGrid(long n) {
        return Grid.of(LaunchConfig.elementwiseGrid(n, multiprocessors));
    }

    /** The grid of a row kernel over rows > 0 rows. */
    static Grid rowGrid(int rows) {
        return Grid.of(LaunchConfig.rowGrid(rows));
    }

    int multiprocessors() {
        return multiprocessors;
    }

    /** The kernels' activation codes (kernels/CONTRACT.md), independent of the enum's declaration order. */
    static int code(Activation act) {
        return switch (act) {
            case RELU -> 0;
            case LEAKY_RELU -> 1;
            case SIGMOID -> 2;
            case TANH -> 3;
        };
    }
}
