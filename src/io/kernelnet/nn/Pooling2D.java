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

    protected Pooling2D(int poolH, int poolW) {
        if (poolH <= 0 || poolW <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": pool size must be positive, got "
                    + poolH + "x" + poolW);
        }
        this.kh = poolH;
        this.kw = poolW;
        this.strideH = poolH;
        this.strideW = poolW;
    }

    @SuppressWarnings("unchecked")
    public <P extends Pooling2D> P strides(int sh, int sw) {
        if (sh <= 0 || sw <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": strides must be positive, got "
                    + sh + "x" + sw);
        }
        this.strideH = sh;
        this.strideW = sw;
        return (P) this;
    }

    @SuppressWarnings("unchecked")
    public <P extends Pooling2D> P padding(String mode) {
        if (!mode.equals("valid") && !mode.equals("same")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": padding must be 'valid' or 'same', got '"
                    + mode + "'");
        }
        this.padding = mode;
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

    @Override
    public Shape outputShape(List<Shape> inputs) {
        return spatialOutput(inputs, "window " + kh + "x" + kw, in -> geometry(1, in).outputShape().perExample());
    }
}
