package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.nn.MemoryPlan.Region;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer graph with every buffer it trains with in one {@link MemoryPlan}, allocated once on one backend: the
 * parameters, their gradients and the optimizer's state slots, the batch's inputs and targets, each node's output,
 * output gradient and scratch, the gradient accumulator of a node read by several, the workspace the convolutions
 * and the backend's libraries share, the {@link StepScalars} and the step's metrics. Hands out views of them cut to
 * the current batch size; allocates nothing after {@link #allocate}.
 */
final class PlannedGraph {
    private static final Logger log = LoggerFactory.getLogger(PlannedGraph.class);

    private final LayerGraph graph;
    private final MemoryPlan plan;
    private final Backend backend;
    private final int capacity;
    private final int inputBuffer;
    private final int targetBuffer;
    private final int stepScalars;
    /** -1 when no node that needs a gradient feeds several others. */
    private final int accumulator;
    /** -1 when neither a convolution nor the backend's libraries ask for a workspace. */
    private final int workspaceBuffer;
    private final int[] stateSlots;
    private final StepMetrics metrics;

    private PlannedGraph(LayerGraph graph, MemoryPlan plan, Backend backend, int capacity, int inputBuffer,
                         int targetBuffer, int stepScalars, int accumulator, int workspaceBuffer, int[] stateSlots,
                         StepMetrics metrics) {
        this.graph = graph;
        this.plan = plan;
        this.backend = backend;
        this.capacity = capacity;
        this.inputBuffer = inputBuffer;
        this.targetBuffer = targetBuffer;
        this.stepScalars = stepScalars;
        this.accumulator = accumulator;
        this.workspaceBuffer = workspaceBuffer;
        this.stateSlots = stateSlots;
        this.metrics = metrics;
    }

    /**
     * Plans the buffers of {@code graph} (its loss placed) for batches of up to {@code batchSize}, asks the backend
     * to plan each convolution, makes the one allocation and initializes the parameters from {@code seed}. On a
     * failed allocation nothing stays allocated and the error shows the plan.
     */
    static PlannedGraph allocate(LayerGraph graph, Loss loss, Optimizer optimizer, int batchSize, Backend backend,
                                 long seed) {
        MemoryPlan.Builder pb = new MemoryPlan.Builder();
        for (GraphNode g : graph.nodes()) {
            List<ParamSpec> specs = graph.parameters(g);
            g.params = new int[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                g.params[i] = pb.add(Region.PARAMETERS, g.owner + "/" + specs.get(i).name(), specs.get(i).shape());
            }
        }
        for (GraphNode g : graph.nodes()) {
            List<ParamSpec> specs = graph.parameters(g);
            g.grads = new int[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                g.grads[i] = pb.add(Region.GRADIENTS, g.owner + "/" + specs.get(i).name() + "/grad", specs.get(i).shape());
            }
        }
        int[] stateSlots = new int[optimizer.stateSlots()];
        for (int i = 0; i < stateSlots.length; i++) {
            stateSlots[i] = pb.addStateSlot(optimizer.name() + " " + optimizer.stateNames().get(i));
        }
        GraphNode in = graph.input();
        int inputBuffer = pb.add(Region.BATCH_IO, "input", in.shape.batched(batchSize));
        in.output = inputBuffer;
        Shape targetShape = loss.targetShape(graph.node(graph.outputIndex()).shape).batched(batchSize);
        int targetBuffer = pb.add(Region.BATCH_IO, "targets", targetShape);
        int stepScalars = pb.add(Region.BATCH_IO, "step scalars", StepScalars.shape());
        long largestFanOut = 0;
        for (GraphNode g : graph.nodes()) {
            if (g.isInput()) {
                continue;
            }
            String label = g.layer.name();
            if (!g.aliased) {
                g.output = pb.add(Region.ACTIVATIONS, label + "/output", g.shape.batched(batchSize));
                if (g.needsGrad) {
                    g.dOutput = pb.add(Region.ACTIVATION_GRADIENTS, label + "/output/grad", g.shape.batched(batchSize));
                }
            }
            List<Shape> scratch = g.layer.scratch(graph.inputShapes(g));
            g.scratch = new int[scratch.size()];
            for (int i = 0; i < scratch.size(); i++) {
                g.scratch[i] = pb.add(Region.SCRATCH, label + "/scratch" + i, scratch.get(i).batched(batchSize));
            }
            if (g.consumers > 1 && g.needsGrad) {
                largestFanOut = Math.max(largestFanOut, g.shape.size());
            }
        }
        int accumulator = largestFanOut == 0 ? -1
                : pb.add(Region.SCRATCH, "gradient accumulator", Shape.of(batchSize, Math.toIntExact(largestFanOut)));
        // each convolution planned once here (engine, algorithms); one workspace, the largest any convolution or
        // the backend's libraries ask for: the ops that use it run one after another on one stream
        long workspaceFloats = backend.libraryWorkspaceFloats();
        for (GraphNode g : graph.nodes()) {
            if (g.isInput()) {
                continue;
            }
            List<ConvPlan> plans = new ArrayList<>();
            for (Conv2dGeometry conv : g.layer.convolutions(graph.inputShapes(g), batchSize)) {
                ConvPlan p = backend.planConv2d(conv);
                plans.add(p);
                workspaceFloats = Math.max(workspaceFloats, p.workspaceFloats());
            }
            g.convPlans = List.copyOf(plans);
        }
        int workspaceBuffer = workspaceFloats == 0 ? -1
                : pb.add(Region.SCRATCH, "workspace", Shape.of(Math.toIntExact(workspaceFloats)));
        int stepMetrics = pb.add(Region.METRICS, "step loss, gradient sum, correct, halt", StepMetrics.currentShape());
        int stepRecord = pb.add(Region.METRICS, "step record", StepMetrics.recordShape());
        MemoryPlan laidOut = pb.layOut();
        try {
            laidOut.allocate(backend, "model");
            // the batch goes up with uploadAsync: what the backend needs to overlap it, set aside now
            backend.reserveAsyncUploads(Math.max(in.shape.size() * batchSize, targetShape.size()));
        } catch (RuntimeException e) {
            laidOut.release();
            // the backend says what it could not give (CUDA: the free memory); the plan says what it was for
            throw new IllegalStateException("build: could not allocate the memory plan of " + MemoryPlan.humanBytes(
                    laidOut.totalBytes()) + " for batch " + batchSize + " on " + backend.name() + ": "
                    + e.getMessage() + "\n" + laidOut, e);
        }
        StepMetrics metrics = new StepMetrics(backend, laidOut.tensor(stepMetrics), laidOut.tensor(stepRecord));
        PlannedGraph planned = new PlannedGraph(graph, laidOut, backend, batchSize, inputBuffer, targetBuffer,
                stepScalars, accumulator, workspaceBuffer, stateSlots, metrics);
        planned.claimWorkspace();
        planned.initializeParameters(seed);
        log.debug("built model for batch {} on {}:\n{}", batchSize, backend.name(), laidOut);
        return planned;
    }

    private void initializeParameters(long seed) {
        Random random = new Random(seed);
        for (GraphNode g : graph.nodes()) {
            List<ParamSpec> specs = graph.parameters(g);
            for (int i = 0; i < specs.size(); i++) {
                float[] values = new float[Math.toIntExact(specs.get(i).shape().size())];
                specs.get(i).initialize(values, random);
                backend.upload(plan.tensor(g.params[i]), values, 0);
            }
        }
    }

    LayerGraph graph() {
        return graph;
    }

    MemoryPlan plan() {
        return plan;
    }

    Backend backend() {
        return backend;
    }

    /** The largest batch the buffers hold. */
    int capacity() {
        return capacity;
    }

    StepMetrics metrics() {
        return metrics;
    }

    /**
     * Points the backend's libraries at this plan's workspace. Another model on the same backend may have set its
     * own since: every batch claims this model's again.
     */
    void claimWorkspace() {
        if (workspaceBuffer != -1) {
            backend.useWorkspace(plan.tensor(workspaceBuffer));
        }
    }

    // ---- views for a batch of n examples ----------------------------------------------------------------------

    Tensor output(int node, int n) {
        GraphNode g = graph.node(node);
        if (g.aliased) {
            return output(g.inputs[0], n).reshape(g.shape.batched(n));
        }
        return plan.tensor(g.output).firstRows(n);
    }

    /** Null for a node that needs no gradient (the input). */
    Tensor outputGradient(int node, int n) {
        GraphNode g = graph.node(node);
        if (!g.needsGrad) {  // the input never does
            return null;
        }
        if (g.aliased) {
            return outputGradient(g.inputs[0], n).reshape(g.shape.batched(n));
        }
        return plan.tensor(g.dOutput).firstRows(n);
    }

    /** Plan entries {@code indices}, batched ones cut to {@code n} rows. */
    Tensor[] tensors(int[] indices, int n, boolean batched) {
        Tensor[] t = new Tensor[indices.length];
        for (int i = 0; i < indices.length; i++) {
            t[i] = batched ? plan.tensor(indices[i]).firstRows(n) : plan.tensor(indices[i]);
        }
        return t;
    }

    Tensor input(int n) {
        return plan.tensor(inputBuffer).firstRows(n);
    }

    Tensor targets(int n) {
        return plan.tensor(targetBuffer).firstRows(n);
    }

    /** The {@link StepScalars} the step's ops read, written before each step. */
    Tensor stepScalars() {
        return plan.tensor(stepScalars);
    }

    /** Where a second gradient into a node of {@code shape} is written before it is added to the first. */
    Tensor accumulator(int n, Shape shape) {
        return plan.tensor(accumulator).firstRows(n).slice(0, shape, "accumulator");
    }

    /** All parameters as one flat tensor; {@link #gradients()} and each state slot have its layout. */
    Tensor parameters() {
        return plan.region(Region.PARAMETERS);
    }

    Tensor gradients() {
        return plan.region(Region.GRADIENTS);
    }

    /** The optimizer's state slots in {@link Optimizer#stateNames()} order, each the parameters' size. */
    Tensor[] optimizerState() {
        return tensors(stateSlots, 0, false);
    }

    /** Releases the allocation; the backend forgets the workspace and the recorded steps that point into it. */
    void release() {
        if (workspaceBuffer != -1) {
            try {
                backend.useWorkspace(null);  // the backend must not keep a pointer into freed memory
            } catch (IllegalStateException e) {
                log.debug("backend already closed; its workspace pointer went with it");
            }
        }
        try {
            backend.forgetSteps(this);  // the training steps it recorded are keyed by this plan (Trainer)
        } catch (IllegalStateException e) {
            log.debug("backend already closed; its recorded steps went with it");
        }
        plan.release();
    }
}
