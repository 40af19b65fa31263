package io.kernelnet.nn;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * What Dense and Conv2D share: a linear part (a matrix product, a convolution) with a kernel, then an optional bias
 * and an activation, which the model runs in the layer's epilogue ({@link #fusesActivation()}) when elementwise.
 */
public abstract class BiasActivationLayer extends Layer {
    private String activation;
    private boolean useBias = true;

    protected BiasActivationLayer(String kind) {
        super(kind);
    }

    /** Keras' activation name; "linear" (the default) means none. */
    @SuppressWarnings("unchecked")
    public <L extends BiasActivationLayer> L activation(String function) {
        ActivationLayer.checkName(function);
        this.activation = function.equals("linear") ? null : function;
        return (L) this;
    }

    @SuppressWarnings("unchecked")
    public <L extends BiasActivationLayer> L useBias(boolean value) {
        this.useBias = value;
        return (L) this;
    }

    @Override
    public String activation() {
        return activation;
    }

    @Override
    public boolean fusesActivation() {
        return true;
    }

    /** Adds the activation and use_bias settings, last, to a subclass's {@link #config()}. */
    protected Map<String, Object> withActivationAndBias(Map<String, Object> config) {
        config.put("activation", activation == null ? "linear" : activation);
        config.put("use_bias", useBias);
        return config;
    }

    /** The kernel, then the bias [units] (zeros) where the layer has one. */
    protected List<ParamSpec> kernelAndBias(ParamSpec kernel, int units) {
        return useBias ? List.of(kernel, ParamSpec.zeros("bias", Shape.of(units))) : List.of(kernel);
    }

    /** The bias parameter of this step, or null without one. */
    protected Tensor bias(LayerStep step) {
        return useBias ? step.params[1] : null;
    }

    /** The bias gradient of this step, or null without a bias. */
    protected Tensor biasGradient(LayerStep step) {
        return useBias ? step.grads[1] : null;
    }
}
