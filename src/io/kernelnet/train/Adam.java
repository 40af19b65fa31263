package io.kernelnet.train;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamStep;
import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with Keras defaults (lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, and epsilon added where Keras adds
 * it, to the uncorrected sqrt(v): {@link AdamEpsilon#KERAS}); AdamW when weight decay is decoupled. PyTorch's
 * placement, to the bias-corrected sqrt(v), is {@code epsilonPlacement(AdamEpsilon.PYTORCH)}. See {@link AdamStep}.
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final boolean decoupled;
    private AdamEpsilon epsilonPlacement = AdamEpsilon.KERAS;

    public Adam() {
        this(0.001f);
    }

    public Adam(float learningRate) {
        this(learningRate, 0.9f, 0.999f, 1e-7f, 0f, false);
    }

    public Adam(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled) {
        super(learningRate);
        // validates the settings now, not at step 1
        new AdamStep(learningRate, beta1, beta2, epsilon, epsilonPlacement, weightDecay, decoupled, 1);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
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
        this.epsilonPlacement = placement;
        return this;
    }

    public AdamEpsilon epsilonPlacement() {
        return epsilonPlacement;
    }

    @Override
    public String name() {
        return decoupled ? "adamw" : "adam";
    }

    @Override
    public List<String> stateNames() {
        return List.of("m", "v");
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] state, long step, Tensor halt) {
        backend.adamUpdate(params, grads, state[0], state[1], new AdamStep(learningRate(), beta1, beta2, epsilon,
                epsilonPlacement, weightDecay, decoupled, step), halt);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name());
        c.put("learning_rate", (double) learningRate());
        c.put("beta_1", (double) beta1);
        c.put("beta_2", (double) beta2);
        c.put("epsilon", (double) epsilon);
        c.put("epsilon_placement", epsilonPlacement.configName());
        c.put("weight_decay", (double) weightDecay);
        return c;
    }
}
