package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.Philox;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.nn.MemoryPlan.Region;
import io.kernelnet.nn.StepMetrics.QueuedStep;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.ProgressBar;
import io.kernelnet.train.TrainingDivergedException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Keras-like model over a graph of layers: {@code compile}, then {@code build(batchSize, backend)}, which
 * infers every shape and makes one allocation for parameters, gradients, optimizer state, activations and
 * scratch from a printable {@link MemoryPlan}. Training steps allocate nothing on the device; a last, smaller
 * batch uses views of the same buffers. {@code close()} releases everything.
 */
public class Model implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Model.class);
    /** Names of optimizer state start with this; parameter names never do (they start with a layer's name). */
    public static final String OPTIMIZER_STATE_PREFIX = "optimizer/";

    protected final Node input;
    protected Node output;

    private Optimizer optimizer;
    private Loss loss;
    private boolean accuracyMetric;
    private long seed = 42;

    private Backend backend;
    private int capacity;
    private List<GraphNode> nodes;
    private MemoryPlan plan;
    private int inputBuffer;
    private int targetBuffer;
    private int accumulator = -1;
    private StepMetrics metrics;
    /** The workspace the convolutions and the backend's libraries share, in the plan; -1 when none asks for one. */
    private int workspaceBuffer = -1;
    /** Index of the node whose output the loss reads: the logits before a fused softmax, else the output. */
    private int lossNode;
    private boolean fusedSoftmax;
    private int[] stateSlots;
    private float[] hostInputs;
    private float[] hostTargets;
    private boolean closed;

    private long step;
    private long randomOffset;
    private int epochsDone;
    private volatile boolean stopTraining;
    private PrintStream out = System.out;

    public Model(Node input, Node output) {
        if (!input.isInput()) {
            throw new IllegalArgumentException("model input must be Node.input(...), got a node of "
                    + input.layer().describe());
        }
        this.input = input;
        this.output = output;
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    /** Keras compile: optimizer, loss, and metrics ("accuracy" is the one besides the loss). */
    public void compile(Optimizer optimizer, Loss loss, String... metrics) {
        checkNotBuilt("compile");
        this.optimizer = optimizer;
        this.loss = loss;
        for (String m : metrics) {
            if (!m.equals("accuracy")) {
                throw new IllegalArgumentException("unknown metric '" + m + "': 'accuracy' is supported (loss is always reported)");
            }
            if (!loss.isCrossEntropy()) {
                throw new IllegalArgumentException("metric 'accuracy' needs a cross-entropy loss, not " + loss.kerasName());
            }
            accuracyMetric = true;
        }
    }

    /** Seed of the weight initializer and the dropout generator. */
    public Model seed(long value) {
        checkNotBuilt("seed");
        this.seed = value;
        return this;
    }

    /** Where fit() prints progress (standard output by default). */
    public Model progressOutput(PrintStream stream) {
        this.out = stream;
        return this;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public Loss loss() {
        return loss;
    }

    public Backend backend() {
        return backend;
    }

    public boolean isBuilt() {
        return nodes != null;
    }

    public int batchCapacity() {
        return capacity;
    }

    public long stepCount() {
        return step;
    }

    public int epochsDone() {
        return epochsDone;
    }

    public long seed() {
        return seed;
    }

    /** Asks fit() to stop after the current epoch (EarlyStopping). */
    public void stopTraining() {
        stopTraining = true;
    }

    // ---- build: shapes, memory plan, one allocation ---------------------------------------------------------

    /** Infers shapes and plans memory for batches of up to {@code batchSize}, then allocates on {@code backend}. */
    public void build(int batchSize, Backend onBackend) {
        checkNotBuilt("build");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("build: batch size must be positive, got " + batchSize);
        }
        if (loss == null) {
            throw new IllegalStateException("build: call compile(optimizer, loss, metrics) first");
        }
        List<GraphNode> graph = expand();
        inferShapes(graph);
        planLoss(graph);
        markGradients(graph);
        MemoryPlan.Builder pb = new MemoryPlan.Builder();
        for (GraphNode g : graph) {
            if (g.isInput()) {
                continue;
            }
            List<Shape> inShapes = inputShapes(graph, g);
            List<ParamSpec> specs = g.layer.parameters(inShapes);
            g.params = new int[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                g.params[i] = pb.add(Region.PARAMETERS, g.owner + "/" + specs.get(i).name(), specs.get(i).shape());
            }
        }
        for (GraphNode g : graph) {
            if (g.isInput()) {
                continue;
            }
            List<ParamSpec> specs = g.layer.parameters(inputShapes(graph, g));
            g.grads = new int[specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                g.grads[i] = pb.add(Region.GRADIENTS, g.owner + "/" + specs.get(i).name() + "/grad", specs.get(i).shape());
            }
        }
        stateSlots = new int[optimizer.stateSlots()];
        for (int i = 0; i < stateSlots.length; i++) {
            stateSlots[i] = pb.addStateSlot(optimizer.name() + " " + optimizer.stateNames().get(i));
        }
        GraphNode in = graph.get(0);
        inputBuffer = pb.add(Region.BATCH_IO, "input", in.shape.batched(batchSize));
        in.output = inputBuffer;
        targetBuffer = pb.add(Region.BATCH_IO, "targets", loss.targetShape(graph.get(graph.size() - 1).shape).batched(batchSize));
        long largestFanOut = 0;
        for (GraphNode g : graph) {
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
            List<Shape> scratch = g.layer.scratch(inputShapes(graph, g));
            g.scratch = new int[scratch.size()];
            for (int i = 0; i < scratch.size(); i++) {
                g.scratch[i] = pb.add(Region.SCRATCH, label + "/scratch" + i, scratch.get(i).batched(batchSize));
            }
            if (g.consumers > 1 && g.needsGrad) {
                largestFanOut = Math.max(largestFanOut, g.shape.size());
            }
        }
        if (largestFanOut > 0) {
            accumulator = pb.add(Region.SCRATCH, "gradient accumulator", Shape.of(batchSize, Math.toIntExact(largestFanOut)));
        }
        // each convolution planned once here (engine, algorithms); one workspace, the largest any convolution or
        // the backend's libraries ask for: the ops that use it run one after another on one stream
        long workspaceFloats = onBackend.libraryWorkspaceFloats();
        for (GraphNode g : graph) {
            if (g.isInput()) {
                continue;
            }
            List<ConvPlan> plans = new ArrayList<>();
            for (Conv2dGeometry conv : g.layer.convolutions(inputShapes(graph, g), batchSize)) {
                ConvPlan p = onBackend.planConv2d(conv);
                plans.add(p);
                workspaceFloats = Math.max(workspaceFloats, p.workspaceFloats());
            }
            g.convPlans = List.copyOf(plans);
        }
        if (workspaceFloats > 0) {
            workspaceBuffer = pb.add(Region.SCRATCH, "workspace", Shape.of(Math.toIntExact(workspaceFloats)));
        }
        int stepScalars = pb.add(Region.METRICS, "step loss, gradient sum, correct, halt", StepMetrics.currentShape());
        int stepRecord = pb.add(Region.METRICS, "step record", StepMetrics.recordShape());
        MemoryPlan laidOut = pb.layOut();
        try {
            laidOut.allocate(onBackend, "model");
            // the batch goes up with uploadAsync: what the backend needs to overlap it, set aside now
            onBackend.reserveAsyncUploads(Math.max(in.shape.size() * batchSize,
                    laidOut.entries().get(targetBuffer).shape().size()));
        } catch (RuntimeException e) {
            laidOut.release();
            // the backend says what it could not give (CUDA: the free memory); the plan says what it was for
            throw new IllegalStateException("build: could not allocate the memory plan of " + MemoryPlan.humanBytes(
                    laidOut.totalBytes()) + " for batch " + batchSize + " on " + onBackend.name() + ": "
                    + e.getMessage() + "\n" + laidOut, e);
        }
        if (workspaceBuffer >= 0) {
            onBackend.useWorkspace(laidOut.tensor(workspaceBuffer));
        }
        this.plan = laidOut;
        this.backend = onBackend;
        this.metrics = new StepMetrics(onBackend, laidOut.tensor(stepScalars), laidOut.tensor(stepRecord));
        this.capacity = batchSize;
        this.nodes = graph;
        this.hostInputs = new float[Math.toIntExact(in.shape.size() * batchSize)];
        this.hostTargets = new float[Math.toIntExact(plan.entries().get(targetBuffer).shape().size())];
        initializeParameters();
        log.debug("built model for batch {} on {}:\n{}", batchSize, onBackend.name(), plan);
    }

    /**
     * User nodes in topological order; node 0 is the input. A layer's own activation runs in the layer's epilogue
     * where it can ({@link Layer#fusesActivation}, an elementwise activation: its pre-activation then needs no
     * buffer of its own), else as a node of its own (a softmax, fused with the loss instead).
     */
    private List<GraphNode> expand() {
        List<Node> order = new ArrayList<>();
        topologicalOrder(output, new HashSet<>(), new HashSet<>(), order);
        Map<Node, Integer> index = new IdentityHashMap<>();
        Map<Layer, Boolean> seen = new IdentityHashMap<>();
        Map<String, Integer> kindCounts = new HashMap<>();
        Set<String> names = new HashSet<>();
        List<GraphNode> graph = new ArrayList<>();
        for (Node n : order) {
            if (n.isInput()) {
                if (n != input) {
                    throw new IllegalArgumentException("the model's output depends on an input that is not the model's input");
                }
                index.put(n, graph.size());
                graph.add(new GraphNode(null, "input", new int[0]));
                graph.get(0).shape = n.inputShape();
                continue;
            }
            Layer layer = n.layer();
            if (seen.put(layer, true) != null) {
                throw new IllegalArgumentException("layer " + layer.describe() + " is applied twice: weight sharing is not supported");
            }
            int count = kindCounts.merge(layer.kind(), 1, Integer::sum);
            layer.assignDefaultName(count == 1 ? layer.kind() : layer.kind() + "_" + (count - 1));
            if ((layer.name() + "/").startsWith(OPTIMIZER_STATE_PREFIX)) {
                throw new IllegalArgumentException("a layer cannot be named '" + layer.name()
                        + "': checkpoints name optimizer state " + OPTIMIZER_STATE_PREFIX + "...");
            }
            if (!names.add(layer.name())) {
                throw new IllegalArgumentException("two layers are named '" + layer.name() + "'");
            }
            int[] ins = new int[n.inputs().size()];
            for (int i = 0; i < ins.length; i++) {
                ins[i] = index.get(n.inputs().get(i));
                for (int j = 0; j < i; j++) {
                    if (ins[j] == ins[i]) {
                        throw new IllegalArgumentException("layer " + layer.describe() + " takes the same node twice");
                    }
                }
            }
            GraphNode node = new GraphNode(layer, layer.name(), ins);
            graph.add(node);
            if (layer.activation() != null && layer.fusesActivation()) {
                node.fusedActivation = ActivationLayer.elementwise(layer.activation());
            }
            if (layer.activation() != null && node.fusedActivation == null) {
                ActivationLayer act = new ActivationLayer(layer.activation()).named(layer.name() + "/" + layer.activation());
                graph.add(new GraphNode(act, layer.name(), new int[] {graph.size() - 1}));
            }
            index.put(n, graph.size() - 1);
        }
        if (graph.isEmpty() || !graph.get(0).isInput()) {
            throw new IllegalArgumentException("the model's output does not depend on its input");
        }
        return graph;
    }

    private static void topologicalOrder(Node n, Set<Node> done, Set<Node> visiting, List<Node> order) {
        if (done.contains(n)) {
            return;
        }
        if (!visiting.add(n)) {
            throw new IllegalArgumentException("the layer graph has a cycle");
        }
        for (Node in : n.inputs()) {
            topologicalOrder(in, done, visiting, order);
        }
        visiting.remove(n);
        done.add(n);
        order.add(n);
    }

    private static List<Shape> inputShapes(List<GraphNode> graph, GraphNode g) {
        List<Shape> shapes = new ArrayList<>();
        for (int i : g.inputs) {
            shapes.add(graph.get(i).shape);
        }
        return shapes;
    }

    private static void inferShapes(List<GraphNode> graph) {
        for (GraphNode g : graph) {
            if (g.isInput()) {
                continue;
            }
            g.shape = g.layer.outputShape(inputShapes(graph, g));
            for (int i : g.inputs) {
                graph.get(i).consumers++;
            }
        }
        for (GraphNode g : graph) {
            g.aliased = !g.isInput() && g.layer.isView() && graph.get(g.inputs[0]).consumers == 1;
        }
    }

    private void planLoss(List<GraphNode> graph) {
        int last = graph.size() - 1;
        GraphNode out = graph.get(last);
        lossNode = last;
        fusedSoftmax = false;
        if (loss.isCrossEntropy()) {
            if (out.isInput() || !endsInClassSoftmax(out)) {
                throw new IllegalArgumentException(loss.kerasName() + " needs a model that ends in a softmax activation"
                        + " or a Softmax layer over the classes (it is fused with the softmax for a stable gradient);"
                        + " the last layer is "
                        + (out.isInput() ? "the input" : out.layer.describe()));
            }
            fusedSoftmax = true;
            lossNode = out.inputs[0];
        }
    }

    /** A softmax activation, or a Softmax layer over the classes of a flat output (Keras' Dense then Softmax()). */
    private static boolean endsInClassSoftmax(GraphNode out) {
        if (out.layer instanceof ActivationLayer a) {
            return a.function().equals("softmax");
        }
        return out.layer instanceof Softmax s && s.normalizesClasses(out.shape);
    }

    private void markGradients(List<GraphNode> graph) {
        for (GraphNode g : graph) {
            if (g.isInput()) {
                continue;
            }
            g.needsGrad = !g.layer.parameters(inputShapes(graph, g)).isEmpty();
            for (int i : g.inputs) {
                g.needsGrad |= graph.get(i).needsGrad;
            }
        }
        graph.get(lossNode).needsGrad |= !graph.get(lossNode).isInput();
    }

    private void initializeParameters() {
        Random random = new Random(seed);
        for (GraphNode g : nodes) {
            if (g.isInput()) {
                continue;
            }
            List<ParamSpec> specs = g.layer.parameters(inputShapes(nodes, g));
            for (int i = 0; i < specs.size(); i++) {
                float[] values = new float[Math.toIntExact(specs.get(i).shape().size())];
                specs.get(i).initialize(values, random);
                backend.upload(plan.tensor(g.params[i]), values, 0);
            }
        }
    }

    // ---- buffers as views for the current batch --------------------------------------------------------------

    private Tensor outputOf(int node, int n) {
        GraphNode g = nodes.get(node);
        if (g.aliased) {
            return outputOf(g.inputs[0], n).reshape(g.shape.batched(n));
        }
        return plan.tensor(g.output).firstRows(n);
    }

    private Tensor gradOf(int node, int n) {
        GraphNode g = nodes.get(node);
        if (!g.needsGrad || g.isInput()) {
            return null;
        }
        if (g.aliased) {
            return gradOf(g.inputs[0], n).reshape(g.shape.batched(n));
        }
        return plan.tensor(g.dOutput).firstRows(n);
    }

    private Tensor[] tensors(int[] indices, int n, boolean batched) {
        Tensor[] t = new Tensor[indices.length];
        for (int i = 0; i < indices.length; i++) {
            t[i] = batched ? plan.tensor(indices[i]).firstRows(n) : plan.tensor(indices[i]);
        }
        return t;
    }

    // ---- one batch ----------------------------------------------------------------------------------------------

    private void forward(int n, boolean training) {
        for (int i = 1; i < nodes.size(); i++) {
            GraphNode g = nodes.get(i);
            long offset = 0;
            if (training && g.layer.usesRandom()) {
                offset = randomOffset;
                randomOffset += Philox.countersFor(g.shape.size() * n);
            }
            LayerStep s = stepFor(i, n, training, offset, null);
            if (g.layer.isView() && !g.aliased) {
                backend.copy(s.output, s.input());
            } else {
                g.layer.forward(backend, s);
            }
        }
    }

    private LayerStep stepFor(int i, int n, boolean training, long offset, Tensor[] dInputs) {
        GraphNode g = nodes.get(i);
        Tensor[] ins = new Tensor[g.inputs.length];
        for (int j = 0; j < ins.length; j++) {
            ins[j] = outputOf(g.inputs[j], n);
        }
        return new LayerStep(n, training, ins, outputOf(i, n), dInputs, gradOf(i, n), tensors(g.params, n, false),
                tensors(g.grads, n, false), tensors(g.scratch, n, true), seed, offset, g.fusedActivation,
                ActivationLayer.DEFAULT_LEAKY_SLOPE);
    }

    /** Loss of the batch now in the buffers into the step's loss scalar; writes the gradient at the loss node. */
    private void computeLoss(int n) {
        Tensor targets = plan.tensor(targetBuffer).firstRows(n);
        Tensor dLoss = gradOf(lossNode, n);
        Tensor at = outputOf(lossNode, n);
        Tensor value = metrics.loss();
        switch (loss) {
            case MSE -> backend.mseLoss(value, dLoss, at, targets);
            case SPARSE_CATEGORICAL_CROSSENTROPY ->
                    backend.softmaxCrossEntropySparse(value, outputOf(nodes.size() - 1, n), dLoss, at, targets);
            case CATEGORICAL_CROSSENTROPY ->
                    backend.softmaxCrossEntropy(value, outputOf(nodes.size() - 1, n), dLoss, at, targets);
        }
    }

    /** The step's loss on the host: waits for the device. */
    private float lossValue() {
        return download(metrics.loss())[0];
    }

    private void backward(int n) {
        boolean[] written = new boolean[nodes.size()];
        written[lossNode] = true;
        int start = fusedSoftmax ? lossNode : nodes.size() - 1;
        for (int i = start; i >= 1; i--) {
            GraphNode g = nodes.get(i);
            if (!g.needsGrad || !written[i]) {
                continue;
            }
            Tensor[] dIns = new Tensor[g.inputs.length];
            boolean[] accumulate = new boolean[g.inputs.length];
            for (int j = 0; j < dIns.length; j++) {
                int u = g.inputs[j];
                Tensor target = gradOf(u, n);
                if (target != null && written[u]) {
                    target = plan.tensor(accumulator).firstRows(n).slice(0, target.shape(), "accumulator");
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
                    Tensor grad = gradOf(u, n);
                    backend.add(grad, grad, dIns[j]);
                }
                if (dIns[j] != null) {
                    written[u] = true;
                }
            }
        }
    }

    private void loadBatch(Examples data, int[] order, int from, int n) {
        if (workspaceBuffer >= 0) {
            // another model on the same backend may have set its own since: every batch claims this model's
            backend.useWorkspace(plan.tensor(workspaceBuffer));
        }
        int inSize = Math.toIntExact(data.inputShape().size());
        int targetSize = Math.toIntExact(data.targetShape().size());
        for (int i = 0; i < n; i++) {
            int e = order == null ? from + i : order[from + i];
            data.copyInput(e, hostInputs, i * inSize);
            data.copyTarget(e, hostTargets, i * targetSize);
        }
        // queued: the host gathers the next batch while the device still computes with this one
        backend.uploadAsync(plan.tensor(inputBuffer).firstRows(n), hostInputs, 0);
        backend.uploadAsync(plan.tensor(targetBuffer).firstRows(n), hostTargets, 0);
    }

    /**
     * Queues one optimizer step on examples {@code order[from..from+n)} and its record ({@link StepMetrics}):
     * nothing here waits for the device. With {@code checkFinite} a non-finite loss or gradient sum sets the
     * device's halt flag before the update, which the optimizer then skips, as every later one until fit reads the
     * record and reports the step ({@link #rerunBadStep}): the parameters stay at the last good values. The
     * batch's upload and the record stay outside the step's device work, which a full batch hands to
     * {@link Backend#runStep} (a CUDA backend replays it as a graph); the last, smaller batch runs it plainly.
     */
    private void trainStep(Examples data, int[] order, QueuedStep at, boolean checkFinite) {
        int n = at.n();
        loadBatch(data, order, at.from(), n);
        TrainingStep key = new TrainingStep(this, List.of(this, n, checkFinite), at.generatorOffsetBefore(),
                at.stepsBefore() + 1, optimizer.learningRate());
        Runnable work = () -> {
            // runStep may run this more than once for one step: it starts from the step's counters each time
            step = at.stepsBefore();
            randomOffset = at.generatorOffsetBefore();
            forward(n, true);
            computeLoss(n);
            backward(n);
            if (checkFinite) {
                // one reduction over the whole gradient region: any NaN or Inf makes the sum non-finite
                backend.sum(metrics.gradientSum(), plan.region(Region.GRADIENTS));
                backend.flagNonFinite(metrics.halt(), metrics.checked());
            }
            step++;
            optimizer.update(backend, plan.region(Region.PARAMETERS), plan.region(Region.GRADIENTS), stateTensors(),
                    step, metrics.halt());
            if (accuracyMetric) {
                backend.accuracyCount(metrics.correct(), outputOf(nodes.size() - 1, n),
                        plan.tensor(targetBuffer).firstRows(n));
            }
        };
        if (n == capacity) {
            backend.runStep(key, work);
        } else {
            work.run();
        }
        // a replayed step did not run work: the counters advance here as work advances them
        step = key.step();
        randomOffset = at.generatorOffsetBefore() + randomCounters(n);
        metrics.record(at);
    }

    /** Dropout generator counters one training forward pass over {@code n} examples uses (forward's advance). */
    private long randomCounters(int n) {
        long counters = 0;
        for (int i = 1; i < nodes.size(); i++) {
            GraphNode g = nodes.get(i);
            if (g.layer.usesRandom()) {
                counters += Philox.countersFor(g.shape.size() * n);
            }
        }
        return counters;
    }

    /** Reads the steps recorded so far into {@code totals}; throws TrainingDivergedException at a bad one. */
    private void readRecord(StepMetrics.Totals totals, Examples data, int[] order) {
        QueuedStep bad = metrics.drain(totals);
        if (bad != null) {
            throw rerunBadStep(bad, data, order);
        }
    }

    /**
     * The report of a step the device found bad. Its update and every later one were skipped, so the parameters
     * are still those it saw: it runs again (same batch, same dropout position) for the scan, and the counters are
     * left just after it, as when training stopped at the step itself.
     */
    private TrainingDivergedException rerunBadStep(QueuedStep bad, Examples data, int[] order) {
        step = bad.stepsBefore();
        randomOffset = bad.generatorOffsetBefore();
        loadBatch(data, order, bad.from(), bad.n());
        forward(bad.n(), true);
        computeLoss(bad.n());
        backward(bad.n());
        return diverged(bad, lossValue(), bad.n());
    }

    /**
     * The scan after a failed finite check. The forward pass first, in forward order: the input, then each layer's
     * parameters and output (where a value first overflows is the cause; NaN then flows into every gradient
     * behind it). Only when it is clean, the parameter gradients, in forward order.
     */
    private TrainingDivergedException diverged(QueuedStep at, float batchLoss, int n) {
        String where = "no single value is non-finite: the gradients sum beyond the float range";
        String layer = null;
        if (firstNonFinite(download(plan.tensor(inputBuffer).firstRows(n))) >= 0) {
            where = "the input batch holds a non-finite value";
            layer = "input";
        }
        for (int pass = 0; pass < 2 && layer == null; pass++) {
            for (int i = 1; i < nodes.size() && layer == null; i++) {
                GraphNode g = nodes.get(i);
                String found;
                if (pass == 0) {
                    // parameters before the output: non-finite parameters make the output non-finite, not the reverse
                    found = nonFiniteIn("parameter", tensors(g.params, n, false));
                    if (found != null) {
                        found += " (an earlier update overflowed)";
                    } else if (firstNonFinite(download(outputOf(i, n))) >= 0) {
                        found = "output";
                    }
                } else {
                    found = nonFiniteIn("gradient", tensors(g.grads, n, false));
                }
                if (found != null) {
                    layer = g.layer.name();
                    where = "layer " + g.layer.describe() + ": non-finite " + found;
                }
            }
        }
        return new TrainingDivergedException(String.format("training diverged at epoch %d, step %d: loss %s; %s;"
                + " stopped before this step's update", at.epoch(), at.step(), batchLoss, where),
                at.epoch(), at.step(), layer);
    }

    /** "parameter conv2d/kernel" for the first of {@code tensors} holding a non-finite value, or null. */
    private String nonFiniteIn(String what, Tensor[] tensors) {
        for (Tensor t : tensors) {
            if (firstNonFinite(download(t)) >= 0) {
                return what + " " + t.name();
            }
        }
        return null;
    }

    private float[] download(Tensor t) {
        float[] values = new float[Math.toIntExact(t.size())];
        backend.download(values, 0, t);
        return values;
    }

    private Tensor[] stateTensors() {
        Tensor[] state = new Tensor[stateSlots.length];
        for (int i = 0; i < state.length; i++) {
            state[i] = plan.tensor(stateSlots[i]);
        }
        return state;
    }

    // ---- Keras API ------------------------------------------------------------------------------------------------

    /** Trains; builds on the (fast) CPU backend first if {@link #build} was not called. */
    public History fit(Examples train, FitOptions options) {
        ensureBuilt(options.batchSize());
        checkData("fit", train);
        if (options.batchSize() > capacity) {
            throw new IllegalArgumentException("fit: batch size " + options.batchSize() + " exceeds the " + capacity
                    + " this model was built for");
        }
        Examples trainSet = train;
        Examples validation = options.validationData();
        if (options.validationSplit() > 0) {
            int held = (int) Math.round(train.count() * options.validationSplit());
            validation = train.range(train.count() - held, train.count());
            trainSet = train.range(0, train.count() - held);
        }
        if (validation != null) {
            checkData("fit (validation)", validation);
        }
        int b = options.batchSize();
        int batches = (trainSet.count() + b - 1) / b;
        int[] order = new int[trainSet.count()];
        History history = new History();
        stopTraining = false;
        boolean terminal = ProgressBar.stdoutIsTerminal();
        List<Callback> callbacks = options.callbacks();
        metrics.reset();
        callbacks.forEach(c -> c.onTrainBegin(this));
        int firstEpoch = epochsDone;
        for (int epoch = firstEpoch; epoch < firstEpoch + options.epochs() && !stopTraining; epoch++) {
            final int e = epoch;
            callbacks.forEach(c -> c.onEpochBegin(this, e));
            epochOrder(order, options.shuffle(), options.shuffleSeed(), epoch);
            ProgressBar bar = options.verbose() > 0
                    ? new ProgressBar(out, "Epoch " + (epoch + 1) + "/" + (firstEpoch + options.epochs()), batches, terminal)
                    : null;
            StepMetrics.Totals totals = new StepMetrics.Totals();
            long startNanos = System.nanoTime();
            for (int k = 0; k < batches; k++) {
                if (metrics.full()) {
                    readRecord(totals, trainSet, order);
                }
                int from = k * b;
                int n = Math.min(b, trainSet.count() - from);
                trainStep(trainSet, order, new QueuedStep(epoch + 1, k + 1, from, n, step, randomOffset),
                        options.checkFinite());
                if (bar != null && bar.due(k + 1)) {
                    readRecord(totals, trainSet, order);
                    bar.update(k + 1, runningLogs(totals));
                }
            }
            readRecord(totals, trainSet, order);
            backend.synchronize();
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            long seen = totals.seen;
            Map<String, Double> logs = runningLogs(totals);
            if (validation != null) {
                Evaluation v = evaluate(validation, b);
                logs.put("val_loss", v.loss());
                if (accuracyMetric) {
                    logs.put("val_accuracy", v.accuracy());
                }
            }
            logs.put("lr", (double) optimizer.learningRate());
            logs.put("epoch_seconds", seconds);
            logs.put("examples_per_second", seen / seconds);
            epochsDone = epoch + 1;
            history.record(logs);
            if (bar != null) {
                Map<String, Double> shown = new LinkedHashMap<>(logs);
                shown.remove("epoch_seconds");
                shown.remove("examples_per_second");
                shown.remove("lr");
                bar.finish(shown);
            }
            callbacks.forEach(c -> c.onEpochEnd(this, e, logs));
        }
        callbacks.forEach(c -> c.onTrainEnd(this));
        return history;
    }

    private Map<String, Double> runningLogs(StepMetrics.Totals totals) {
        Map<String, Double> logs = new LinkedHashMap<>();
        long seen = totals.seen;
        logs.put("loss", seen == 0 ? Double.NaN : totals.lossSum / seen);
        if (accuracyMetric) {
            logs.put("accuracy", seen == 0 ? Double.NaN : (double) totals.correct / seen);
        }
        return logs;
    }

    /**
     * The order of the training examples in {@code epoch}: 0, 1, ... without shuffling, else a Fisher-Yates
     * shuffle of that drawn from a generator seeded by Philox(key = shuffleSeed ^ seed, counter = epoch). The
     * order depends on nothing but (shuffleSeed, seed, epoch), so a run resumed from a checkpoint at epoch k
     * visits the examples exactly as the uninterrupted run would.
     */
    private void epochOrder(int[] order, boolean shuffle, long shuffleSeed, int epoch) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (!shuffle) {
            return;
        }
        long key = shuffleSeed ^ seed;
        int[] words = Philox.block(epoch, 0, 0, 0, (int) key, (int) (key >>> 32));
        Random random = new Random((long) words[0] << 32 | (words[1] & 0xFFFFFFFFL));
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Mean loss and accuracy (NaN without the accuracy metric) over {@code count} examples. */
    public record Evaluation(double loss, double accuracy, int count) {
    }

    public Evaluation evaluate(Examples data, int batchSize) {
        ensureBuilt(batchSize);
        checkData("evaluate", data);
        int b = Math.min(batchSize, capacity);
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.count(); from += b) {
            int n = Math.min(b, data.count() - from);
            loadBatch(data, null, from, n);
            forward(n, false);
            computeLoss(n);
            lossSum += (double) lossValue() * n;
            if (accuracyMetric) {
                correct += backend.accuracyCount(outputOf(nodes.size() - 1, n), plan.tensor(targetBuffer).firstRows(n));
            }
        }
        int count = data.count();
        return new Evaluation(count == 0 ? Double.NaN : lossSum / count,
                accuracyMetric && count > 0 ? (double) correct / count : Double.NaN, count);
    }

    /** Model outputs (after the final activation) for every example, row after row. */
    public float[] predict(Examples data) {
        ensureBuilt(Math.min(Math.max(data.count(), 1), 128));
        checkInputs("predict", data);
        int per = Math.toIntExact(outputShape().size());
        float[] result = new float[Math.multiplyExact(per, data.count())];
        for (int from = 0; from < data.count(); from += capacity) {
            int n = Math.min(capacity, data.count() - from);
            int inSize = Math.toIntExact(data.inputShape().size());
            for (int i = 0; i < n; i++) {
                data.copyInput(from + i, hostInputs, i * inSize);
            }
            backend.upload(plan.tensor(inputBuffer).firstRows(n), hostInputs, 0);
            forward(n, false);
            backend.download(result, from * per, outputOf(nodes.size() - 1, n));
        }
        return result;
    }

    public Shape outputShape() {
        checkBuilt("outputShape");
        return nodes.get(nodes.size() - 1).shape;
    }

    public Shape inputShape() {
        return input.inputShape();
    }

    Node inputNode() {
        return input;
    }

    Node outputNode() {
        return output;
    }

    /** Whether compile asked for the accuracy metric. */
    public boolean reportsAccuracy() {
        return accuracyMetric;
    }

    private void ensureBuilt(int batchSize) {
        checkOpen();
        if (!isBuilt()) {
            build(batchSize, new FastCpuBackend());
        }
    }

    /** Refuses inputs of another shape, or a non-finite input value, naming the example. */
    private void checkInputs(String op, Examples data) {
        if (!data.inputShape().equals(input.inputShape())) {
            throw new IllegalArgumentException(op + ": examples have input shape " + data.inputShape()
                    + ", the model expects " + input.inputShape());
        }
        float[] values = new float[Math.toIntExact(data.inputShape().size())];
        for (int e = 0; e < data.count(); e++) {
            data.copyInput(e, values, 0);
            int at = firstNonFinite(values);
            if (at >= 0) {
                throw new IllegalArgumentException(op + ": example " + e + " has a non-finite input value " + values[at]
                        + " at position " + at + " of its " + data.inputShape());
            }
        }
    }

    /**
     * {@link #checkInputs}, and targets: of the loss's shape, finite, and for integer labels a class index of this
     * model's output, naming the example, the label and the valid range.
     */
    private void checkData(String op, Examples data) {
        checkInputs(op, data);
        Shape output = outputShape();
        Shape expected = loss.targetShape(output);
        if (!data.targetShape().equals(expected)) {
            throw new IllegalArgumentException(op + ": examples have target shape " + data.targetShape() + ", "
                    + loss.kerasName() + " on output " + output + " expects " + expected);
        }
        float[] target = new float[Math.toIntExact(expected.size())];
        for (int e = 0; e < data.count(); e++) {
            data.copyTarget(e, target, 0);
            if (loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
                float label = target[0];
                int classes = output.dim(-1);
                if (!(label >= 0 && label < classes && label == Math.rint(label))) {
                    throw new IllegalArgumentException(op + ": example " + e + " has label " + label
                            + ", not a class index in [0, " + classes + ") of the model's output " + output);
                }
            } else {
                int at = firstNonFinite(target);
                if (at >= 0) {
                    throw new IllegalArgumentException(op + ": example " + e + " has a non-finite target value "
                            + target[at] + " at position " + at + " of its " + expected);
                }
            }
        }
    }

    private static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    private void checkNotBuilt(String op) {
        checkOpen();
        if (isBuilt()) {
            throw new IllegalStateException(op + ": the model is already built");
        }
    }

    private void checkBuilt(String op) {
        checkOpen();
        if (!isBuilt()) {
            throw new IllegalStateException(op + ": the model is not built yet (call build or fit)");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the model was closed and its memory released");
        }
    }

    // ---- parameters by name (checkpoints, tests) -----------------------------------------------------------------

    /**
     * The parameters {@link #build} would create, by name, from the shapes alone: nothing is allocated, so a loader
     * can hold a file's tensors against what its architecture asks for before allocating anything for it.
     */
    public LinkedHashMap<String, Shape> plannedParameterShapes() {
        List<GraphNode> graph = expand();
        inferShapes(graph);
        LinkedHashMap<String, Shape> shapes = new LinkedHashMap<>();
        for (GraphNode g : graph) {
            if (!g.isInput()) {
                for (ParamSpec spec : g.layer.parameters(inputShapes(graph, g))) {
                    shapes.put(g.owner + "/" + spec.name(), spec.shape());
                }
            }
        }
        return shapes;
    }

    /** Parameter names and shapes in plan order ("dense/kernel" ...). */
    public LinkedHashMap<String, Shape> parameterShapes() {
        checkBuilt("parameterShapes");
        return shapes(parameterViews());
    }

    /** Copies of the parameter values, by name. */
    public LinkedHashMap<String, float[]> parameters() {
        checkBuilt("parameters");
        return download(parameterViews());
    }

    /** Replaces parameter {@code name}'s values. */
    public void setParameter(String name, float[] values) {
        checkBuilt("setParameter");
        upload(parameterViews(), "parameter", name, values);
    }

    /**
     * The optimizer's state per parameter, named "optimizer/SLOT/PARAMETER" (Adam's "optimizer/m/dense/kernel",
     * SGD's "optimizer/velocity/dense/kernel"), each with its parameter's shape; empty for plain SGD.
     */
    public LinkedHashMap<String, Shape> optimizerStateShapes() {
        checkBuilt("optimizerStateShapes");
        return shapes(optimizerStateViews());
    }

    /** Copies of the optimizer state, by the names of {@link #optimizerStateShapes()}. */
    public LinkedHashMap<String, float[]> optimizerState() {
        checkBuilt("optimizerState");
        return download(optimizerStateViews());
    }

    /** Replaces one optimizer state buffer, named as in {@link #optimizerStateShapes()}. */
    public void setOptimizerState(String name, float[] values) {
        checkBuilt("setOptimizerState");
        upload(optimizerStateViews(), "optimizer state", name, values);
    }

    private LinkedHashMap<String, Tensor> parameterViews() {
        LinkedHashMap<String, Tensor> views = new LinkedHashMap<>();
        for (GraphNode g : nodes) {
            for (int p : g.params) {
                Tensor t = plan.tensor(p);
                views.put(t.name(), t);
            }
        }
        return views;
    }

    /** Each state slot has the parameter region's layout, so a parameter's state lies at its offset in the slot. */
    private LinkedHashMap<String, Tensor> optimizerStateViews() {
        LinkedHashMap<String, Tensor> views = new LinkedHashMap<>();
        long parametersStart = plan.region(Region.PARAMETERS).offset();
        List<String> slotNames = optimizer.stateNames();
        for (int s = 0; s < stateSlots.length; s++) {
            Tensor slot = plan.tensor(stateSlots[s]);
            for (Tensor p : parameterViews().values()) {
                String name = OPTIMIZER_STATE_PREFIX + slotNames.get(s) + "/" + p.name();
                views.put(name, slot.slice(p.offset() - parametersStart, p.shape(), name));
            }
        }
        return views;
    }

    private static LinkedHashMap<String, Shape> shapes(Map<String, Tensor> views) {
        LinkedHashMap<String, Shape> shapes = new LinkedHashMap<>();
        views.forEach((name, t) -> shapes.put(name, t.shape()));
        return shapes;
    }

    private LinkedHashMap<String, float[]> download(Map<String, Tensor> views) {
        LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
        views.forEach((name, t) -> {
            float[] v = new float[Math.toIntExact(t.size())];
            backend.download(v, 0, t);
            values.put(name, v);
        });
        return values;
    }

    private void upload(Map<String, Tensor> views, String what, String name, float[] values) {
        Tensor t = views.get(name);
        if (t == null) {
            throw new IllegalArgumentException("model has no " + what + " '" + name + "'");
        }
        if (values.length != t.size()) {
            throw new IllegalArgumentException(what + " '" + name + "' " + t.shape() + " holds " + t.size()
                    + " values, got " + values.length);
        }
        backend.upload(t, values, 0);
    }

    /**
     * Forward, loss and backward on the first {@code n} examples with the dropout generator at
     * {@code generatorOffset}, no optimizer step: lets a gradient check repeat the exact same computation.
     */
    float lossAndGradients(Examples data, int n, long generatorOffset) {
        checkBuilt("lossAndGradients");
        randomOffset = generatorOffset;
        loadBatch(data, null, 0, n);
        forward(n, true);
        computeLoss(n);
        backward(n);
        return lossValue();
    }

    /** Copies of the parameter gradients of the last backward pass, by parameter name. */
    LinkedHashMap<String, float[]> gradients() {
        checkBuilt("gradients");
        LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
        for (GraphNode g : nodes) {
            for (int i = 0; i < g.params.length; i++) {
                Tensor t = plan.tensor(g.grads[i]);
                float[] v = new float[Math.toIntExact(t.size())];
                backend.download(v, 0, t);
                values.put(plan.entries().get(g.params[i]).name(), v);
            }
        }
        return values;
    }

    /** Restores the counters a checkpoint carries (epochs done, optimizer steps, dropout generator position). */
    public void restoreTrainingState(int epochs, long steps, long generatorOffset) {
        this.epochsDone = epochs;
        this.step = steps;
        this.randomOffset = generatorOffset;
    }

    public long generatorOffset() {
        return randomOffset;
    }

    public MemoryPlan memoryPlan() {
        checkBuilt("memoryPlan");
        return plan;
    }

    /** The user's layers in order with their per-example input shapes (node 0, the input, excluded). */
    List<GraphNode> graphNodes() {
        checkBuilt("graph");
        return nodes;
    }

    // ---- summary ---------------------------------------------------------------------------------------------

    /** Keras-like table: layer (type), output shape, parameters; then totals and the planned memory. */
    public String summary() {
        checkBuilt("summary");
        StringBuilder sb = new StringBuilder();
        String rule = "-".repeat(72) + "\n";
        sb.append(rule).append(String.format("%-34s %-22s %12s%n", "Layer (type)", "Output shape", "Param #")).append(rule);
        long total = 0;
        for (int i = 1; i < nodes.size(); i++) {
            GraphNode g = nodes.get(i);
            if (g.layer instanceof ActivationLayer && !g.owner.equals(g.layer.name())) {
                continue; // a layer's own activation is part of that layer's row
            }
            long params = 0;
            for (int p : g.params) {
                params += plan.entries().get(p).shape().size();
            }
            total += params;
            GraphNode shown = i + 1 < nodes.size() && nodes.get(i + 1).owner.equals(g.owner)
                    && nodes.get(i + 1).layer instanceof ActivationLayer ? nodes.get(i + 1) : g;
            sb.append(String.format("%-34s %-22s %12d%n", g.layer.name() + " (" + g.layer.getClass().getSimpleName() + ")",
                    "(None, " + shown.shape.toString().replace("[", "").replace("]", "") + ")", params));
            for (ConvPlan p : g.convPlans) {
                if (p.description().isEmpty()) {
                    continue;
                }
                sb.append("    conv on ").append(backend.name()).append(": ").append(p.description()).append('\n');
            }
        }
        sb.append(rule);
        sb.append(String.format("Total params: %d (%s)%n", total, MemoryPlan.humanBytes(total * Float.BYTES)));
        sb.append(String.format("Planned memory for batch %d on %s: %s (parameters %s, gradients %s, optimizer %s, activations %s)%n",
                capacity, backend.name(), MemoryPlan.humanBytes(plan.totalBytes()),
                MemoryPlan.humanBytes(plan.regionFloats(Region.PARAMETERS) * 4),
                MemoryPlan.humanBytes(plan.regionFloats(Region.GRADIENTS) * 4),
                MemoryPlan.humanBytes(plan.regionFloats(Region.OPTIMIZER_STATE) * 4),
                MemoryPlan.humanBytes((plan.regionFloats(Region.ACTIVATIONS) + plan.regionFloats(Region.ACTIVATION_GRADIENTS)
                        + plan.regionFloats(Region.SCRATCH) + plan.regionFloats(Region.BATCH_IO)) * 4)));
        return sb.toString();
    }

    /** Releases the model's device memory. The backend stays open: it belongs to the caller. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (workspaceBuffer >= 0 && backend != null) {
                try {
                    backend.useWorkspace(null);  // the backend must not keep a pointer into freed memory
                } catch (IllegalStateException e) {
                    log.debug("backend already closed; its workspace pointer went with it");
                }
            }
            if (plan != null) {
                try {
                    backend.forgetSteps(this);  // recorded steps point into the plan's memory
                } catch (IllegalStateException e) {
                    log.debug("backend already closed; its recorded steps went with it");
                }
                plan.release();
            }
        }
    }
}
