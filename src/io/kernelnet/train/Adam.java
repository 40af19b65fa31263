package io.kernelnet.train;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Adam with Keras defaults (lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, and epsilon added where Keras adds
 * it, to the uncorrected sqrt(v): {@link AdamEpsilon#KERAS}); AdamW when weight decay is decoupled. PyTorch's
 * placement, to the bias-corrected sqrt(v), is {@code epsilonPlacement(AdamEpsilon.PYTORCH)}. See
 * {@link AdamSettings}.
 */
public final class Adam extends Optimizer {
    private AdamSettings settings;

    public Adam() {
        this(0.001f);
    }

    public Adam(float learningRate) {
        this(learningRate, 0.9f, 0.999f, 1e-7f, 0f, false);
    }

    public Adam(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled) {
        super(decoupled ? "adamw" : "adam", learningRate);
        this.settings = new AdamSettings(beta1, beta2, epsilon, AdamEpsilon.KERAS, weightDecay, decoupled);
    }

    /** AdamW with PyTorch's default weight decay 0.01. */
    public static Adam adamW(float learningRate) {
        return new Adam(learningRate, 0.9f, 0.999f, 1e-7f, 0.01f, true);
    }

    /** Where epsilon is added: Keras' place (the default) or PyTorch's. */
    public Adam epsilonPlacement(AdamEpsilon placement) {
        if (placement == null) {
            throw new IllegalArgumentException(name() + ": epsilon placement is null; expected KERAS or PYTORCH");
        }
        settings = new AdamSettings(settings.beta1(), settings.beta2(), settings.epsilon(), placement,
                settings.weightDecay(), settings.decoupled());
        return this;
    }

    public AdamEpsilon epsilonPlacement() {
        return settings.epsilonPlacement();
    }

    @Override
    public List<String> stateNames() {
        return List.of("m", "v");
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] state, Tensor step, Tensor halt) {
        backend.adamUpdate(params, grads, state[0], state[1], step, halt, settings);
    }

    @Override
    protected void putSettings(Map<String, Object> c) {
        c.put("beta_1", (double) settings.beta1());
        c.put("beta_2", (double) settings.beta2());
        c.put("epsilon", (double) settings.epsilon());
        c.put("epsilon_placement", settings.epsilonPlacement().configName());
        c.put("weight_decay", (double) settings.weightDecay());
    }
}
