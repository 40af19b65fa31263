package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A layer states its output shape, its parameters and its scratch buffers for given input shapes (all per
 * example, without the batch axis), and runs forward and backward through {@link Backend} ops only. It never
 * allocates: the model plans and owns every buffer and hands them over in a {@link LayerStep}.
 */
public abstract class Layer {
    private final String kind;
    private String name;

    /** {@code kind}: Keras' class name in lower snake case ("dense", "conv2d"). */
    protected Layer(String kind) {
        this.kind = kind;
    }

    /** Keras' class name in lower snake case ("dense", "conv2d"), used for default names. */
    public final String kind() {
        return kind;
    }

    /** The settings that rebuild this layer ({@link LayerConfigs}); saved in checkpoints. None by default. */
    public Map<String, Object> config() {
        return Map.of();
    }

    /** Number of inputs this layer takes (1 for all but merges). */
    public int inputCount() {
        return 1;
    }

    /** Output shape per example; throws {@link #shapeError} when the inputs do not fit. */
    public abstract Shape outputShape(List<Shape> inputs);

    public List<ParamSpec> parameters(List<Shape> inputs) {
        return List.of();
    }

    /** Per-example shapes of extra batch buffers (max-pool indices, dropout masks, pre-activations). */
    public List<Shape> scratch(List<Shape> inputs) {
        return List.of();
    }

    /**
     * The convolutions this layer runs for batches of up to {@code n} (Conv2D: its one geometry), which the model
     * has the backend plan at build time ({@link Backend#planConv2d}).
     */
    public List<Conv2dGeometry> convolutions(List<Shape> inputs, int n) {
        return List.of();
    }

    public abstract void forward(Backend backend, LayerStep step);

    /** Writes dInputs (where not null) and parameter gradients (overwritten, not accumulated). */
    public abstract void backward(Backend backend, LayerStep step);

    /**
     * Whether the output is the input's memory under another shape (Flatten): the model then aliases the two
     * buffers and their gradients, and forward/backward have nothing to do.
     */
    public boolean isView() {
        return false;
    }

    /** Whether forward draws from the Philox generator (then the model gives it a fresh counter range). */
    public boolean usesRandom() {
        return false;
    }

    /**
     * The activation applied after this layer's linear part ("relu", ...), or null. The model runs an elementwise
     * one (relu, leaky_relu, sigmoid, tanh) in this layer's epilogue when {@link #fusesActivation()}, and any other
     * as an {@link ActivationLayer} node of its own, so that a softmax before a cross-entropy loss can be fused.
     */
    public String activation() {
        return null;
    }

    /**
     * Whether forward applies {@link LayerStep#fusedActivation} with its bias ({@link LayerStep#biasAndActivation},
     * or an op that takes it, as Dense's gemmBiasActivation) and backward starts with
     * {@link LayerStep#biasAndActivationBackward}, so that the model can run this layer's elementwise activation
     * there, in one pass with the bias, instead of as a node of its own (with its own output buffer).
     */
    public boolean fusesActivation() {
        return false;
    }

    public String name() {
        return name;
    }

    /** Sets the layer's name (unique within a model; defaults to kind, kind_1, ...). */
    @SuppressWarnings("unchecked")
    public <L extends Layer> L named(String newName) {
        this.name = newName;
        return (L) this;
    }

    void assignDefaultName(String defaultName) {
        if (name == null) {
            name = defaultName;
        }
    }

    /** Functional API: this layer applied to earlier nodes. */
    public Node apply(Node... inputs) {
        if (inputs.length != inputCount()) {
            throw new IllegalArgumentException(describe() + " takes " + inputCount() + " input(s), got "
                    + inputs.length);
        }
        return new Node(this, new ArrayList<>(Arrays.asList(inputs)));
    }

    /** "dense_1 (Dense)" or "Dense" before naming. */
    public String describe() {
        return (name == null ? "" : name + " ") + "(" + getClass().getSimpleName() + ")";
    }

    /**
     * The per-example output of a spatial layer on [channels, height, width]; a geometry the backend refuses
     * becomes a shape error naming this layer.
     */
    protected Shape spatialOutput(List<Shape> inputs, String window, java.util.function.Function<Shape, Shape> outputOf) {
        Shape in = inputs.get(0);
        if (in.rank() != 3) {
            throw shapeError(inputs, "[channels, height, width]");
        }
        try {
            return outputOf.apply(in);
        } catch (IllegalArgumentException e) {
            throw shapeError(inputs, "an input no smaller than the " + window + " (" + e.getMessage() + ")");
        }
    }

    /** Refuses a window, stride or dilation ({@code setting}) with a side that is not positive. */
    protected void checkPositive(String setting, int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + setting + " must be positive, got "
                    + height + "x" + width);
        }
    }

    /** Keras' padding mode, 'valid' or 'same'; refuses any other. */
    protected String checkPadding(String mode) {
        if (!mode.equals("valid") && !mode.equals("same")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": padding must be 'valid' or 'same', got '"
                    + mode + "'");
        }
        return mode;
    }

    protected IllegalArgumentException shapeError(List<Shape> inputs, String expected) {
        return new IllegalArgumentException("layer " + describe() + ": input shape " + shapesText(inputs)
                + " does not fit: expected " + expected);
    }

    private static String shapesText(List<Shape> shapes) {
        return shapes.size() == 1 ? shapes.get(0).toString() : shapes.toString();
    }
}
