package io.kernelnet.nn;

import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What MaxPooling2D and AveragePooling2D share: window, strides (default: the window), Keras padding. */
public abstract class Pooling2D extends Layer {
    private final int kh;
    private final int kw;
    private int strideH;
    private int strideW;
    private String padding = "valid";

    protected Pooling2D(String kind, int poolH, int poolW) {
        super(kind);
        checkPositive("pool size", poolH, poolW);
        this.kh = poolH;
        this.kw = poolW;
        this.strideH = poolH;
        this.strideW = poolW;
    }

    @SuppressWarnings("unchecked")
    public <P extends Pooling2D> P strides(int sh, int sw) {
        checkPositive("strides", sh, sw);
        this.strideH = sh;
        this.strideW = sw;
        return (P) this;
    }

    @SuppressWarnings("unchecked")
    public <P extends Pooling2D> P padding(String mode) {
        this.padding = checkPadding(mode);
        return (P) this;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("pool_size", List.of(kh, kw));
        c.put("strides", List.of(strideH, strideW));
        c.put("padding", padding);
        return c;
    }

    protected Pool2dGeometry geometry(int n, Shape in) {
        int h = in.dim(1);
        int w = in.dim(2);
        Padding pad = Padding.keras(padding, h, w, kh, kw, strideH, strideW, 1, 1);
        return new Pool2dGeometry(n, in.dim(0), h, w, kh, kw, strideH, strideW, pad);
    }

    /** The geometry of this step's batch. */
    protected Pool2dGeometry geometry(LayerStep step) {
        return geometry(step.n, step.input().shape().perExample());
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        return spatialOutput(inputs, "window " + kh + "x" + kw, in -> geometry(1, in).outputShape().perExample());
    }
}
