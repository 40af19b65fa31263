package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelModule.arg;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import jcuda.Pointer;

/**
 * Convolution and pooling by our kernels (kernels/conv2d.cu, kernels/pool2d.cu): implicit GEMM for the three
 * conv passes, backward-filter split over the batch into workspace partials summed in a fixed order, gather
 * formulations for the pooling backward passes. Deterministic; no atomics. Grids by {@link LaunchConfig}.
 */
final class KernelConv implements ConvEngine {
    private final KernelModule kernels;
    private final int multiprocessors;

    KernelConv(KernelModule kernels, int multiprocessors) {
        this.kernels = kernels;
        this.multiprocessors = multiprocessors;
    }

    @Override
    public ConvChoice plan(Conv2dGeometry g, long workspaceLimitBytes) {
        LaunchConfig.FilterSplit split = LaunchConfig.convFilterSplit(g, multiprocessors,
                Math.max(workspaceLimitBytes, 0) / Float.BYTES);
        return new ConvChoice(split.workspaceFloats(g) * Float.BYTES, description(split));
    }

    static String description(LaunchConfig.FilterSplit split) {
        return "implicit gemm 64x64" + (split.splits() > 1 ? ", bwd-filter split-K " + split.splits() : "");
    }

    @Override
    public void conv2dForward(DevicePointer y, DevicePointer x, DevicePointer w, Conv2dGeometry g,
                              DevicePointer workspace, long workspaceBytes) {
        if (g.n() == 0) {
            return;
        }
        int[] grid = LaunchConfig.convForwardGrid(g);
        kernels.launch("conv2dForward", Kernel.CONV2D_FORWARD, grid[0], grid[1], grid[2], arg(y), arg(x), arg(w),
                shape(g, 0));
    }

    @Override
    public void conv2dBackwardData(DevicePointer dx, DevicePointer dy, DevicePointer w, Conv2dGeometry g,
                                   DevicePointer workspace, long workspaceBytes) {
        if (g.n() == 0) {
            return;
        }
        int[] grid = LaunchConfig.convBackwardDataGrid(g);
        kernels.launch("conv2dBackwardData", Kernel.CONV2D_BACKWARD_DATA, grid[0], grid[1], grid[2], arg(dx),
                arg(dy), arg(w), shape(g, 0));
    }

    @Override
    public void conv2dBackwardFilter(DevicePointer dw, DevicePointer dy, DevicePointer x, Conv2dGeometry g,
                                     DevicePointer workspace, long workspaceBytes) {
        String op = "conv2dBackwardFilter";
        int filterFloats = g.cOut() * g.cIn() * g.kh() * g.kw();
        if (g.n() == 0) {
            // an empty batch contributes nothing: dw = 0, as the CPU reference writes it
            kernels.launch(op, Kernel.FILL, LaunchConfig.elementwiseGrid(filterFloats, multiprocessors), arg(dw),
                    arg(0f), arg(filterFloats));
            return;
        }
        long available = workspace == null ? 0 : workspaceBytes / Float.BYTES;
        LaunchConfig.FilterSplit split = LaunchConfig.convFilterSplit(g, multiprocessors, available);
        int[] grid = LaunchConfig.convBackwardFilterGrid(g, split);
        DevicePointer out = split.splits() > 1 ? workspace : dw;
        kernels.launch(op, Kernel.CONV2D_BACKWARD_FILTER, grid[0], grid[1], grid[2], arg(out), arg(dy), arg(x),
                shape(g, split.kPerSplit()));
        if (split.splits() > 1) {
            kernels.launch(op, Kernel.CONV2D_SUM_SPLITS, LaunchConfig.elementwiseGrid(filterFloats, multiprocessors),
                    arg(dw), arg(workspace), arg(filterFloats), arg(split.splits()));
        }
    }

    @Override
    public void maxPool2dForward(DevicePointer y, DevicePointer argmax, DevicePointer x, Pool2dGeometry g) {
        long n = g.outputShape().size();
        if (n > 0) {
            kernels.launch("maxPool2dForward", Kernel.MAXPOOL2D_FORWARD,
                    LaunchConfig.elementwiseGrid(n, multiprocessors), arg(y), arg(argmax), arg(x), shape(g));
        }
    }

    @Override
    public void maxPool2dBackward(DevicePointer dx, DevicePointer dy, DevicePointer x, DevicePointer y,
                                  DevicePointer argmax, Pool2dGeometry g) {
        long n = g.inputShape().size();
        if (n > 0) {
            kernels.launch("maxPool2dBackward", Kernel.MAXPOOL2D_BACKWARD,
                    LaunchConfig.elementwiseGrid(n, multiprocessors), arg(dx), arg(dy), arg(argmax), shape(g));
        }
    }

    @Override
    public void avgPool2dForward(DevicePointer y, DevicePointer x, Pool2dGeometry g) {
        long n = g.outputShape().size();
        if (n > 0) {
            kernels.launch("avgPool2dForward", Kernel.AVGPOOL2D_FORWARD,
                    LaunchConfig.elementwiseGrid(n, multiprocessors), arg(y), arg(x), shape(g));
        }
    }

    @Override
    public void avgPool2dBackward(DevicePointer dx, DevicePointer dy, Pool2dGeometry g) {
        long n = g.inputShape().size();
        if (n > 0) {
            kernels.launch("avgPool2dBackward", Kernel.AVGPOOL2D_BACKWARD,
                    LaunchConfig.elementwiseGrid(n, multiprocessors), arg(dx), arg(dy), shape(g));
        }
    }

    /** KnConvShape by value: the kernel parameter is the struct's 16 ints. */
    private static Pointer shape(Conv2dGeometry g, int kPerSplit) {
        return Pointer.to(LaunchConfig.convShape(g, kPerSplit));
    }

    private static Pointer shape(Pool2dGeometry g) {
        return Pointer.to(LaunchConfig.poolShape(g));
    }

    @Override
    public String description() {
        return "kernels";
    }

    @Override
    public void close() {
        // the kernels belong to the backend's module
    }
}
