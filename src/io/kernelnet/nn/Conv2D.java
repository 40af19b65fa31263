package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras Conv2D on channels-first input [channels, height, width]; kernel [filters, channels, kh, kw]
 * (cuDNN/PyTorch layout), padding 'valid' or 'same' (Keras: extra padding on the bottom/right).
 */
public final class Conv2D extends BiasActivationLayer {
    private final int filters;
    private final int kh;
    private final int kw;
    private int strideH = 1;
    private int strideW = 1;
    private int dilationH = 1;
    private int dilationW = 1;
    private String padding = "valid";

    public Conv2D(int filters, int kernelSize) {
        this(filters, kernelSize, kernelSize);
    }

    public Conv2D(int filters, int kernelH, int kernelW) {
        super("conv2d");
        if (filters <= 0 || kernelH <= 0 || kernelW <= 0) {
            throw new IllegalArgumentException("Conv2D: filters and kernel size must be positive, got filters="
                    + filters + " kernel=" + kernelH + "x" + kernelW);
        }
        this.filters = filters;
        this.kh = kernelH;
        this.kw = kernelW;
    }

    public Conv2D strides(int sh, int sw) {
        checkPositive("strides", sh, sw);
        this.strideH = sh;
        this.strideW = sw;
        return this;
    }

    public Conv2D dilation(int dh, int dw) {
        checkPositive("dilation", dh, dw);
        this.dilationH = dh;
        this.dilationW = dw;
        return this;
    }

    public Conv2D padding(String mode) {
        this.padding = checkPadding(mode);
        return this;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("filters", filters);
        c.put("kernel_size", List.of(kh, kw));
        c.put("strides", List.of(strideH, strideW));
        c.put("dilation_rate", List.of(dilationH, dilationW));
        c.put("padding", padding);
        return withActivationAndBias(c);
    }

    private Conv2dGeometry geometry(int n, Shape in) {
        int c = in.dim(0);
        int h = in.dim(1);
        int w = in.dim(2);
        Padding pad = Padding.keras(padding, h, w, kh, kw, strideH, strideW, dilationH, dilationW);
        return new Conv2dGeometry(n, c, h, w, filters, kh, kw, strideH, strideW, pad, dilationH, dilationW);
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        return spatialOutput(inputs, "kernel " + kh + "x" + kw, in -> geometry(1, in).outputShape().perExample());
    }

    @Override
    public List<ParamSpec> parameters(List<Shape> inputs) {
        int c = inputs.get(0).dim(0);
        return kernelAndBias(ParamSpec.glorot("kernel", Shape.of(filters, c, kh, kw), c * kh * kw, filters * kh * kw),
                filters);
    }

    @Override
    public List<Conv2dGeometry> convolutions(List<Shape> inputs, int n) {
        return List.of(geometry(n, inputs.get(0)));
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        Conv2dGeometry g = geometry(step.n, step.input().shape().perExample());
        backend.conv2dForward(step.output, step.input(), step.params[0], g);
        step.biasAndActivation(backend, bias(step));
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        Conv2dGeometry g = geometry(step.n, step.input().shape().perExample());
        Tensor dz = step.biasAndActivationBackward(backend, biasGradient(step));
        backend.conv2dBackwardFilter(step.grads[0], dz, step.input(), g);
        if (step.dInput() != null) {
            backend.conv2dBackwardData(step.dInput(), dz, step.params[0], g);
        }
    }
}
