package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Philox;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Examples;
import io.kernelnet.train.Loss;

/**
 * Runs one batch over a {@link PlannedGraph}: the upload of its examples, the forward pass, the loss and the backward
 * pass, each as backend op calls on the plan's buffers. Knows nothing of optimizers, epochs or callbacks.
 */
final class GraphExecutor {
    private final PlannedGraph planned;
    private final LayerGraph graph;
    private final Backend backend;
    private final Loss loss;
    private final long seed;
    private final float[] hostInputs;
    private final float[] hostTargets;

    /** {@code seed}: the dropout generator's key. */
    GraphExecutor(PlannedGraph planned, Loss loss, long seed) {
        this.planned = planned;
        this.graph = planned.graph();
        this.backend = planned.backend();
        this.loss = loss;
        this.seed = seed;
        this.hostInputs = new float[Math.toIntExact(planned.input(planned.capacity()).size())];
        this.hostTargets = new float[Math.toIntExact(planned.targets(planned.capacity()).size())];
    }

    /**
     * Queues the upload of examples {@code order[from..from+n)} ({@code order} null: from, from+1, ...) into the
     * input and target buffers: the host gathers the next batch while the device still computes with this one.
     */
    void loadBatch(Examples data, int[] order, int from, int n) {
        planned.claimWorkspace();
        int inSize = Math.toIntExact(data.inputShape().size());
        int targetSize = Math.toIntExact(data.targetShape().size());
        for (int i = 0; i < n; i++) {
            int e = order == null ? from + i : order[from + i];
            data.copyInput(e, hostInputs, i * inSize);
            data.copyTarget(e, hostTargets, i * targetSize);
        }
        backend.uploadAsync(planned.input(n), hostInputs, 0);
        backend.uploadAsync(planned.targets(n), hostTargets, 0);
    }

    /** Uploads the inputs of examples {@code from..from+n)} only (prediction needs no targets). */
    void loadInputs(Examples data, int from, int n) {
        planned.claimWorkspace();
        int inSize = Math.toIntExact(data.inputShape().size());
        for (int i = 0; i < n; i++) {
            data.copyInput(from + i, hostInputs, i * inSize);
        }
        backend.upload(planned.input(n), hostInputs, 0);
    }

    /**
     * The forward pass over the first {@code n} examples of the input buffer. While training, each layer that
     * draws random numbers takes the next {@link Philox} counters after the step's generator position (in the
     * step scalars, written by the caller), in graph order: the offsets are the same every step of a batch size.
     */
    void forward(int n, boolean training) {
        long offset = 0;
        for (int i = 1; i < graph.size(); i++) {
            GraphNode g = graph.node(i);
            long layerOffset = 0;
            if (training && g.layer.usesRandom()) {
                layerOffset = offset;
                offset += Philox.countersFor(g.shape.size() * n);
            }
            LayerStep s = stepFor(i, n, training, layerOffset, null);
            if (g.layer.isView() && !g.aliased) {
                backend.copy(s.output, s.input());
            } else {
                g.layer.forward(backend, s);
            }
        }
    }

    /** The generator counters one training forward pass over {@code n} examples takes ({@link #forward}'s advance). */
    long generatorCounters(int n) {
        long counters = 0;
        for (int i = 1; i < graph.size(); i++) {
            GraphNode g = graph.node(i);
            if (g.layer.usesRandom()) {
                counters += Philox.countersFor(g.shape.size() * n);
            }
        }
        return counters;
    }

    private LayerStep stepFor(int i, int n, boolean training, long randomOffset, Tensor[] dInputs) {
        GraphNode g = graph.node(i);
        Tensor[] ins = new Tensor[g.inputs.length];
        for (int j = 0; j < ins.length; j++) {
            ins[j] = planned.output(g.inputs[j], n);
        }
        return new LayerStep(n, training, ins, planned.output(i, n), dInputs, planned.outputGradient(i, n),
                planned.tensors(g.params, n, false), planned.tensors(g.grads, n, false),
                planned.tensors(g.scratch, n, true), planned.stepScalars(), seed, randomOffset, g.fusedActivation,
                ActivationLayer.DEFAULT_LEAKY_SLOPE);
    }

    /** The loss of the batch now in the buffers into the step's loss scalar; writes the gradient at the loss node. */
    void computeLoss(int n) {
        Tensor targets = planned.targets(n);
        Tensor dLoss = planned.outputGradient(graph.lossNode(), n);
        Tensor at = planned.output(graph.lossNode(), n);
        Tensor value = planned.metrics().loss();
        switch (loss) {
            case MSE -> backend.mseLoss(value, dLoss, at, targets);
            case SPARSE_CATEGORICAL_CROSSENTROPY ->
                    backend.softmaxCrossEntropySparse(value, output(n), dLoss, at, targets);
            case CATEGORICAL_CROSSENTROPY -> backend.softmaxCrossEntropy(value, output(n), dLoss, at, targets);
        }
    }

    /** The step's loss on the host: waits for the device. */
    float lossValue() {
        return download(planned.metrics().loss())[0];
    }

    /**
     * The backward pass from the loss node: each node's gradient into its inputs' output gradients, a second one
     * into a node read by several through the accumulator, then added.
     */
    void backward(int n) {
        boolean[] written = new boolean[graph.size()];
        written[graph.lossNode()] = true;
        // from the loss node: with a fused softmax the logits, the softmax after them runs inside the loss
        for (int i = graph.lossNode(); i >= 1; i--) {
            GraphNode g = graph.node(i);
            if (!g.needsGrad || !written[i]) {
                continue;
            }
            Tensor[] dIns = new Tensor[g.inputs.length];
            boolean[] accumulate = new boolean[g.inputs.length];
            for (int j = 0; j < dIns.length; j++) {
                int u = g.inputs[j];
                Tensor target = planned.outputGradient(u, n);
                if (target != null && written[u]) {
                    target = planned.accumulator(n, target.shape());
                    accumulate[j] = true;
                }
                dIns[j] = target;
            }
            LayerStep s = stepFor(i, n, true, 0, dIns);
            if (g.layer.isView() && !g.aliased) {
                if (dIns[0] != null) {
                    backend.copy(dIns[0], s.dOutput);
                }
            } else {
                g.layer.backward(backend, s);
            }
            for (int j = 0; j < dIns.length; j++) {
                int u = g.inputs[j];
                if (accumulate[j]) {
                    Tensor grad = planned.outputGradient(u, n);
                    backend.add(grad, grad, dIns[j]);
                }
                if (dIns[j] != null) {
                    written[u] = true;
                }
            }
        }
    }

    /** The model's output (after the final activation) for the first {@code n} examples. */
    Tensor output(int n) {
        return planned.output(graph.outputIndex(), n);
    }

    float[] download(Tensor t) {
        float[] values = new float[Math.toIntExact(t.size())];
        backend.download(values, 0, t);
        return values;
    }
}
