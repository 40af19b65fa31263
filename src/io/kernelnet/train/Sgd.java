package io.kernelnet.train;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.SgdStep;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SGD with optional momentum, Nesterov and (L2) weight decay; Keras defaults lr 0.01, momentum 0. */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;

    public Sgd() {
        this(0.01f, 0f, false, 0f);
    }

    public Sgd(float learningRate) {
        this(learningRate, 0f, false, 0f);
    }

    public Sgd(float learningRate, float momentum, boolean nesterov, float weightDecay) {
        super(learningRate);
        new SgdStep(learningRate, momentum, nesterov, weightDecay); // validates the settings now, not at step 1
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public List<String> stateNames() {
        return momentum > 0 ? List.of("velocity") : List.of();
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] state, long step, Tensor halt) {
        backend.sgdUpdate(params, grads, momentum > 0 ? state[0] : null,
                new SgdStep(learningRate(), momentum, nesterov, weightDecay), halt);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name());
        c.put("learning_rate", (double) learningRate());
        c.put("momentum", (double) momentum);
        c.put("nesterov", nesterov);
        c.put("weight_decay", (double) weightDecay);
        return c;
    }
}
