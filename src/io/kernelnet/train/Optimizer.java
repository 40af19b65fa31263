package io.kernelnet.train;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates all parameters in one backend call: the model keeps parameters, gradients and each state slot in
 * contiguous runs with the same layout, so {@code params}, {@code grads} and {@code state[i]} are flat views.
 */
public abstract class Optimizer {
    private final String name;
    private float learningRate;

    /** {@code name}: as checkpoints save it ("sgd", "adam", "adamw"). */
    protected Optimizer(String name, float learningRate) {
        this.name = name;
        learningRate(learningRate);
    }

    public float learningRate() {
        return learningRate;
    }

    /**
     * Changes the learning rate: schedules call this between epochs or steps, and each step takes the rate of its
     * time through the {@link io.kernelnet.backend.StepScalars}.
     */
    public void learningRate(float value) {
        if (!(value >= 0) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(name() + ": learning rate must be a finite non-negative number, got " + value);
        }
        this.learningRate = value;
    }

    public final String name() {
        return name;
    }

    /**
     * Names of the parameter-sized state buffers the optimizer keeps (SGD's "velocity" with momentum, Adam's "m"
     * and "v"), in slot order; checkpoints store slot {@code s} of parameter {@code p} as "optimizer/s/p".
     */
    public abstract List<String> stateNames();

    public final int stateSlots() {
        return stateNames().size();
    }

    /**
     * One update of every parameter. {@code step}: the step's scalars ({@link io.kernelnet.backend.StepScalars}),
     * which hold the learning rate and the step number, counted from 1; an optimizer reads what changes from step
     * to step only there. Nothing is written while {@code halt} (one element, or null) is non-zero: the device's
     * verdict on this step (Backend#flagNonFinite), so a bad step is skipped without a host round trip.
     */
    public abstract void update(Backend backend, Tensor params, Tensor grads, Tensor[] state, Tensor step, Tensor halt);

    /** The settings that rebuild this optimizer, saved in checkpoints: name, learning rate, then its own. */
    public final Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name());
        c.put("learning_rate", (double) learningRate());
        putSettings(c);
        return c;
    }

    /** Adds this optimizer's own settings to {@link #config()}. */
    protected abstract void putSettings(Map<String, Object> config);

    /**
     * Rebuilds an optimizer from {@link #config()} output; a config with a missing or mistyped setting is refused
     * with an IllegalArgumentException naming it (configs come from checkpoint files). Settings added later have
     * the value that was the only behaviour before them when absent: Adam's "epsilon_placement" is "pytorch", SGD's
     * "decoupled_weight_decay" false.
     */
    public static Optimizer fromConfig(Map<String, Object> config) {
        String name = String.valueOf(config.get("name"));
        float lr = number(config, "learning_rate");
        return switch (name) {
            case "sgd" -> new Sgd(lr, number(config, "momentum"), flag(config, "nesterov"),
                    number(config, "weight_decay"),
                    config.containsKey("decoupled_weight_decay") && flag(config, "decoupled_weight_decay"));
            case "adam", "adamw" -> new Adam(lr, number(config, "beta_1"), number(config, "beta_2"),
                    number(config, "epsilon"), number(config, "weight_decay"), name.equals("adamw"))
                    .epsilonPlacement(config.containsKey("epsilon_placement")
                            ? AdamEpsilon.named(text(config, "epsilon_placement")) : AdamEpsilon.PYTORCH);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "' in saved configuration");
        };
    }

    private static float number(Map<String, Object> config, String key) {
        if (!(config.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("optimizer configuration needs a number '" + key + "', has " + config);
        }
        return n.floatValue();
    }

    private static String text(Map<String, Object> config, String key) {
        if (!(config.get(key) instanceof String s)) {
            throw new IllegalArgumentException("optimizer configuration needs a string '" + key + "', has " + config);
        }
        return s;
    }

    private static boolean flag(Map<String, Object> config, String key) {
        if (!(config.get(key) instanceof Boolean b)) {
            throw new IllegalArgumentException("optimizer configuration needs true or false for '" + key + "', has "
                    + config);
        }
        return b;
    }
}
