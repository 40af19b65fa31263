package io.kernelnet.nn;

import io.kernelnet.nn.StepMetrics.QueuedStep;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.TrainingDivergedException;

/**
 * Names where a step that the device found non-finite went wrong. That step's update and every later one were
 * skipped, so the parameters are still those it saw: it runs again (same batch, same dropout position) and the
 * buffers are searched for the first non-finite value.
 */
final class DivergenceScan {
    private final PlannedGraph planned;
    private final GraphExecutor executor;

    DivergenceScan(PlannedGraph planned, GraphExecutor executor) {
        this.planned = planned;
        this.executor = executor;
    }

    /**
     * The report of step {@code bad}, after its forward pass, loss and backward pass ran again on the batch now in
     * the buffers. The forward pass is searched first, in forward order: the input, then each layer's parameters
     * and output (where a value first overflows is the cause; NaN then flows into every gradient behind it). Only
     * when it is clean, the parameter gradients, in forward order.
     */
    TrainingDivergedException report(QueuedStep bad, float batchLoss) {
        int n = bad.n();
        LayerGraph graph = planned.graph();
        String where = "no single value is non-finite: the gradients sum beyond the float range";
        String layer = null;
        if (ExampleChecks.firstNonFinite(executor.download(planned.input(n))) >= 0) {
            where = "the input batch holds a non-finite value";
            layer = "input";
        }
        for (int pass = 0; pass < 2 && layer == null; pass++) {
            for (int i = 1; i < graph.size() && layer == null; i++) {
                GraphNode g = graph.node(i);
                String found;
                if (pass == 0) {
                    // parameters before the output: non-finite parameters make the output non-finite, not the reverse
                    found = nonFiniteIn("parameter", planned.tensors(g.params, n, false));
                    if (found != null) {
                        found += " (an earlier update overflowed)";
                    } else if (ExampleChecks.firstNonFinite(executor.download(planned.output(i, n))) >= 0) {
                        found = "output";
                    }
                } else {
                    found = nonFiniteIn("gradient", planned.tensors(g.grads, n, false));
                }
                if (found != null) {
                    layer = g.layer.name();
                    where = "layer " + g.layer.describe() + ": non-finite " + found;
                }
            }
        }
        return new TrainingDivergedException(String.format("training diverged at epoch %d, step %d: loss %s; %s;"
                + " stopped before this step's update", bad.epoch(), bad.step(), batchLoss, where),
                bad.epoch(), bad.step(), layer);
    }

    /** "parameter conv2d/kernel" for the first of {@code tensors} holding a non-finite value, or null. */
    private String nonFiniteIn(String what, Tensor[] tensors) {
        for (Tensor t : tensors) {
            if (ExampleChecks.firstNonFinite(executor.download(t)) >= 0) {
                return what + " " + t.name();
            }
        }
        return null;
    }
}
