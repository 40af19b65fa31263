package io.kernelnet.train;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * SGD with optional momentum, Nesterov and weight decay; Keras defaults lr 0.01, momentum 0. Weight decay is L2
 * (added to the gradient, PyTorch's SGD) unless {@code decoupled}: then, as Keras 3's SGD(weight_decay=...), the
 * weights shrink by lr * weightDecay before each update. See {@link SgdSettings}.
 */
public final class Sgd extends Optimizer {
    private final SgdSettings settings;

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
        super("sgd", learningRate);
        this.settings = new SgdSettings(momentum, nesterov, weightDecay, decoupled);
    }

    @Override
    public List<String> stateNames() {
        return settings.momentum() > 0 ? List.of("velocity") : List.of();
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] state, Tensor step, Tensor halt) {
        backend.sgdUpdate(params, grads, settings.momentum() > 0 ? state[0] : null, step, halt, settings);
    }

    @Override
    protected void putSettings(Map<String, Object> c) {
        c.put("momentum", (double) settings.momentum());
        c.put("nesterov", settings.nesterov());
        c.put("weight_decay", (double) settings.weightDecay());
        c.put("decoupled_weight_decay", settings.decoupled());
    }
}
