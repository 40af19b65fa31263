package io.kernelnet.nn;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.tensor.Shape;
import java.util.List;

/** One node of a built model: a layer (or the input), its inputs and the plan indices of its buffers. */
final class GraphNode {
    final Layer layer;
    /** Name its parameters are saved under: the user's layer name. */
    final String owner;
    final int[] inputs;
    Shape shape;
    int output = -1;
    int dOutput = -1;
    int[] params = new int[0];
    int[] grads = new int[0];
    int[] scratch = new int[0];
    boolean needsGrad;
    /** Output (and gradient) alias the single input's buffers under another shape (Flatten). */
    boolean aliased;
    int consumers;
    /** The layer's own activation, run in its epilogue ({@link Layer#fusesActivation}), or null. */
    Activation fusedActivation;
    /** The backend's build-time decision for each convolution this layer runs (summary() prints them). */
    List<ConvPlan> convPlans = List.of();

    GraphNode(Layer layer, String owner, int[] inputs) {
        this.layer = layer;
        this.owner = owner;
        this.inputs = inputs;
    }

    boolean isInput() {
        return layer == null;
    }
}
