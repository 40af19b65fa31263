package io.kernelnet.backend.cuda;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;

/**
 * Convolution and pooling by our kernels (kernels/conv2d.cu, kernels/pool2d.cu): implicit GEMM for the three
 * conv passes, backward-filter split over the batch into workspace partials summed in a fixed order, gather
 * formulations for the pooling backward passes. Deterministic; no atomics. Grids by {@link LaunchConfig}.
 */
final class KernelConv implements ConvEngine {
    private final Kernels kernels;
    private final int multiprocessors;

    KernelConv(Kernels kernels, int multiprocessors) {
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
        kernels.conv2dForward("conv2dForward", LaunchConfig.convForwardGrid(g), y, x, w,
                LaunchConfig.convShape(g, 0));
    }

    @Override
    public void conv2dBackwardData(DevicePointer dx, DevicePointer dy, DevicePointer w, Conv2dGeometry g,
                                   DevicePointer workspace, long workspaceBytes) {
        if (g.n() == 0) {
            return;
        }
        kernels.conv2dBackwardData("conv2dBackwardData", LaunchConfig.convBackwardDataGrid(g), dx, dy, w,
                LaunchConfig.convShape(g, 0));
    }

    @Override
    public void conv2dBackwardFilter(DevicePointer dw, DevicePointer dy, DevicePointer x, Conv2dGeometry g,
                                     DevicePointer workspace, long workspaceBytes) {
        String op = "conv2dBackwardFilter";
        int filterFloats = g.cOut() * g.cIn() * g.kh() * g.kw();
        if (g.n() == 0) {
            // an empty batch contributes nothing: dw = 0, as the CPU reference writes it
            kernels.fill(op, Grid.of(LaunchConfig.elementwiseGrid(filterFloats, multiprocessors)), dw, 0f,
                    filterFloats);
            return;
        }
        long available = workspace == null ? 0 : workspaceBytes / Float.BYTES;
        LaunchConfig.FilterSplit split = LaunchConfig.convFilterSplit(g, multiprocessors, available);
        DevicePointer out = split.splits() > 1 ? workspace : dw;
        kernels.conv2dBackwardFilter(op, LaunchConfig.convBackwardFilterGrid(g, split), out, dy, x,
                LaunchConfig.convShape(g, split.kPerSplit()));
        if (split.splits() > 1) {
            kernels.conv2dSumSplits(op, Grid.of(LaunchConfig.elementwiseGrid(filterFloats, multiprocessors)), dw,
                    workspace, filterFloats, split.splits());
        }
    }

    @Override
    public void maxPool2dForward(DevicePointer y, DevicePointer argmax, DevicePointer x, Pool2dGeometry g) {
        long n = g.outputShape().size();
        if (n > 0) {
            kernels.maxpool2dForward("maxPool2dForward", poolGrid(n), y, argmax, x, LaunchConfig.poolShape(g));
        }
    }

    @Override
    public void maxPool2dBackward(DevicePointer dx, DevicePointer dy, DevicePointer x, DevicePointer y,
                                  DevicePointer argmax, Pool2dGeometry g) {
        long n = g.inputShape().size();
        if (n > 0) {
            kernels.maxpool2dBackward("maxPool2dBackward", poolGrid(n), dx, dy, argmax, LaunchConfig.poolShape(g));
        }
    }

    @Override
    public void avgPool2dForward(DevicePointer y, DevicePointer x, Pool2dGeometry g) {
        long n = g.outputShape().size();
        if (n > 0) {
            kernels.avgpool2dForward("avgPool2dForward", poolGrid(n), y, x, LaunchConfig.poolShape(g));
        }
    }

    @Override
    public void avgPool2dBackward(DevicePointer dx, DevicePointer dy, Pool2dGeometry g) {
        long n = g.inputShape().size();
        if (n > 0) {
            kernels.avgpool2dBackward("avgPool2dBackward", poolGrid(n), dx, dy, LaunchConfig.poolShape(g));
        }
    }

    /** The pooling kernels are elementwise launches over n outputs (forward) or inputs (backward). */
    private Grid poolGrid(long n) {
        return Grid.of(LaunchConfig.elementwiseGrid(n, multiprocessors));
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
