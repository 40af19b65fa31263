package io.kernelnet.nn;

import io.kernelnet.backend.ConvPlan;
import io.kernelnet.nn.MemoryPlan.Region;

/** Model.summary(): Keras' table of layers, output shapes and parameter counts, then the planned memory. */
final class ModelSummary {
    private ModelSummary() {
    }

    static String of(PlannedGraph planned) {
        LayerGraph graph = planned.graph();
        MemoryPlan plan = planned.plan();
        String backend = planned.backend().name();
        StringBuilder sb = new StringBuilder();
        String rule = "-".repeat(72) + "\n";
        sb.append(rule).append(String.format("%-34s %-22s %12s%n", "Layer (type)", "Output shape", "Param #")).append(rule);
        long total = 0;
        for (int i = 1; i < graph.size(); i++) {
            GraphNode g = graph.node(i);
            if (g.layer instanceof ActivationLayer && !g.owner.equals(g.layer.name())) {
                continue; // a layer's own activation is part of that layer's row
            }
            long params = 0;
            for (int p : g.params) {
                params += plan.entries().get(p).shape().size();
            }
            total += params;
            GraphNode shown = i + 1 < graph.size() && graph.node(i + 1).owner.equals(g.owner)
                    && graph.node(i + 1).layer instanceof ActivationLayer ? graph.node(i + 1) : g;
            sb.append(String.format("%-34s %-22s %12d%n", g.layer.name() + " (" + g.layer.getClass().getSimpleName() + ")",
                    "(None, " + shown.shape.toString().replace("[", "").replace("]", "") + ")", params));
            for (ConvPlan p : g.convPlans) {
                if (p.description().isEmpty()) {
                    continue;
                }
                sb.append("    conv on ").append(backend).append(": ").append(p.description()).append('\n');
            }
        }
        sb.append(rule);
        sb.append(String.format("Total params: %d (%s)%n", total, MemoryPlan.humanBytes(total * Float.BYTES)));
        sb.append(String.format("Planned memory for batch %d on %s: %s (parameters %s, gradients %s, optimizer %s, activations %s)%n",
                planned.capacity(), backend, MemoryPlan.humanBytes(plan.totalBytes()),
                MemoryPlan.humanBytes(plan.regionFloats(Region.PARAMETERS) * 4),
                MemoryPlan.humanBytes(plan.regionFloats(Region.GRADIENTS) * 4),
                MemoryPlan.humanBytes(plan.regionFloats(Region.OPTIMIZER_STATE) * 4),
                MemoryPlan.humanBytes((plan.regionFloats(Region.ACTIVATIONS) + plan.regionFloats(Region.ACTIVATION_GRADIENTS)
                        + plan.regionFloats(Region.SCRATCH) + plan.regionFloats(Region.BATCH_IO)) * 4)));
        return sb.toString();
    }
}
