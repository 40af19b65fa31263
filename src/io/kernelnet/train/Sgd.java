package io.kernelnet.train;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.SgdStep;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with optional momentum, Nesterov and weight decay; Keras defaults lr 0.01, momentum 0. Weight decay is L2
 * (added to the gradient, PyTorch's SGD) unless {@code decoupled}: then, as Keras 3's SGD(weight_decay=...), the
 * weights shrink by lr * weightDecay before each update. See {@link SgdStep}.
 */
public final class Sgd extends Optimizer {
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final boolean decoupled;

    public Sgd() {
        this(0.01f);
    }

    public Sgd(float learningRate) {
        this(learningRate, 0f, false, 0f);
    }

    /** L2 weight decay. */
    public Sgd(float learningRate, float momentum, boolean nesterov, float weightDecay) {
        this(learningRate, momentum, nesterov, weightDecay, false);
    }

    public Sgd(float learningRate, float momentum, boolean nesterov, float weightDecay, boolean decoupled) {
        super(learningRate);
        // validates the settings now, not at step 1
        new SgdStep(learningRate, momentum, nesterov, weightDecay, decoupled);
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
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
                new SgdStep(learningRate(), momentum, nesterov, weightDecay, decoupled), halt);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name());
        c.put("learning_rate", (double) learningRate());
        c.put("momentum", (double) momentum);
        c.put("nesterov", nesterov);
        c.put("weight_decay", (double) weightDecay);
        c.put("decoupled_weight_decay", decoupled);
        return c;
    }
}
