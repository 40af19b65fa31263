package io.kernelnet.backend.cuda;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;

/**
 * Who computes convolutions and pooling on the CUDA backend: our kernels (kernels/conv2d.cu, kernels/pool2d.cu)
 * or cuDNN. Same definitions as the CPU reference (cross-correlation, Keras padding, padded positions never win a
 * max and are not counted in an average). Arguments are already validated and every call is queued on the
 * backend's stream; nothing here allocates device memory after {@link #plan}.
 */
interface ConvEngine extends AutoCloseable {
    /**
     * What this engine will do for convolutions of geometry {@code g} (algorithms for forward, backward-data and
     * backward-filter), chosen once at build time and remembered for the run, and the scratch bytes it then needs.
     * {@code workspaceLimitBytes} bounds that scratch.
     */
    ConvChoice plan(Conv2dGeometry g, long workspaceLimitBytes);

    /**
     * y = conv(x, w). {@code workspace} holds {@code workspaceBytes} bytes of scratch (possibly fewer than
     * {@link #plan} asked for, or none: then the engine takes a choice that fits, never allocates).
     */
    void conv2dForward(DevicePointer y, DevicePointer x, DevicePointer w, Conv2dGeometry g,
                       DevicePointer workspace, long workspaceBytes);

    void conv2dBackwardData(DevicePointer dx, DevicePointer dy, DevicePointer w, Conv2dGeometry g,
                            DevicePointer workspace, long workspaceBytes);

    void conv2dBackwardFilter(DevicePointer dw, DevicePointer dy, DevicePointer x, Conv2dGeometry g,
                              DevicePointer workspace, long workspaceBytes);

    /** y = max over each window; {@code argmax} (y's shape) receives what this engine's backward needs, or nothing. */
    void maxPool2dForward(DevicePointer y, DevicePointer argmax, DevicePointer x, Pool2dGeometry g);

    /** dx = dy routed to each window's winner; x and y are the forward's input and output. */
    void maxPool2dBackward(DevicePointer dx, DevicePointer dy, DevicePointer x, DevicePointer y,
                           DevicePointer argmax, Pool2dGeometry g);

    void avgPool2dForward(DevicePointer y, DevicePointer x, Pool2dGeometry g);

    void avgPool2dBackward(DevicePointer dx, DevicePointer dy, Pool2dGeometry g);

    /** "kernels" or "cuDNN 9.19.0 (deterministic)", for logs, summary() and the bench. */
    String description();

    @Override
    void close();

    /**
     * A build-time decision for one convolution shape: the scratch it needs and, for logs and summary(), what was
     * chosen ("fwd implicit_precomp_gemm, bwd-data algo_1, bwd-filter algo_0").
     */
    record ConvChoice(long workspaceBytes, String description) {
    }
}
