package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import java.io.PrintStream;
import java.util.LinkedHashMap;

/**
 * A Keras-like model over a graph of layers: {@code compile}, then {@code build(batchSize, backend)}, which infers
 * every shape and makes one allocation for parameters, gradients, optimizer state, activations and scratch from a
 * printable {@link MemoryPlan}; then {@code fit}, {@code evaluate}, {@code predict}. Training steps allocate nothing
 * on the device; a last, smaller batch uses views of the same buffers. {@code close()} releases everything.
 *
 * <p>The work is done by the parts build makes: {@link LayerGraph} (shapes), {@link PlannedGraph} (the memory
 * plan), {@link GraphExecutor} (forward and backward), {@link Trainer} (fit and evaluate) and {@link ModelState}
 * (what checkpoints keep). This class holds the configuration and checks each call against the model's life cycle.
 */
public class Model implements AutoCloseable {
    protected final Node input;
    protected Node output;

    private Optimizer optimizer;
    private Loss loss;
    private boolean accuracyMetric;
    private long seed = 42;
    private PrintStream out = System.out;

    private PlannedGraph planned;
    private GraphExecutor executor;
    private ModelState state;
    private Trainer trainer;
    private boolean closed;

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

    /** Whether compile asked for the accuracy metric. */
    public boolean reportsAccuracy() {
        return accuracyMetric;
    }

    public long seed() {
        return seed;
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

    // ---- build -----------------------------------------------------------------------------------------------

    /** Infers shapes and plans memory for batches of up to {@code batchSize}, then allocates on {@code backend}. */
    public void build(int batchSize, Backend backend) {
        checkNotBuilt("build");
        if (batchSize <= 0) {
            throw new IllegalArgumentException("build: batch size must be positive, got " + batchSize);
        }
        if (loss == null) {
            throw new IllegalStateException("build: call compile(optimizer, loss, metrics) first");
        }
        LayerGraph graph = LayerGraph.of(input, output);
        graph.placeLoss(loss);
        planned = PlannedGraph.allocate(graph, loss, optimizer, batchSize, backend, seed);
        executor = new GraphExecutor(planned, loss, seed);
        state = new ModelState(planned, optimizer);
        trainer = new Trainer(planned, executor, state, optimizer, accuracyMetric, seed);
    }

    public boolean isBuilt() {
        return planned != null;
    }

    public Backend backend() {
        return planned == null ? null : planned.backend();
    }

    /** The largest batch the built model takes. */
    public int batchCapacity() {
        checkBuilt("batchCapacity");
        return planned.capacity();
    }

    public MemoryPlan memoryPlan() {
        checkBuilt("memoryPlan");
        return planned.plan();
    }

    /**
     * The parameters {@link #build} would create, by name, from the shapes alone: nothing is allocated, so a loader
     * can hold a file's tensors against what its architecture asks for before allocating anything for it.
     */
    public LinkedHashMap<String, Shape> plannedParameterShapes() {
        return LayerGraph.of(input, output).parameterShapes();
    }

    public Shape outputShape() {
        checkBuilt("outputShape");
        return planned.graph().node(planned.graph().outputIndex()).shape;
    }

    /** Keras-like table: layer (type), output shape, parameters; then totals and the planned memory. */
    public String summary() {
        checkBuilt("summary");
        return ModelSummary.of(planned);
    }

    // ---- Keras API ------------------------------------------------------------------------------------------------

    /** Trains; builds on the (fast) CPU backend first if {@link #build} was not called. */
    public History fit(Examples train, FitOptions options) {
        ensureBuilt(options.batchSize());
        checkExamples("fit", train);
        if (options.batchSize() > planned.capacity()) {
            throw new IllegalArgumentException("fit: batch size " + options.batchSize() + " exceeds the "
                    + planned.capacity() + " this model was built for");
        }
        Examples trainSet = train;
        Examples validation = options.validationData();
        if (options.validationSplit() > 0) {
            int held = (int) Math.round(train.count() * options.validationSplit());
            validation = train.range(train.count() - held, train.count());
            trainSet = train.range(0, train.count() - held);
        }
        if (validation != null) {
            checkExamples("fit (validation)", validation);
        }
        return trainer.fit(trainSet, validation, options, out);
    }

    /** Mean loss and accuracy (NaN without the accuracy metric) over {@code count} examples. */
    public record Evaluation(double loss, double accuracy, int count) {
    }

    public Evaluation evaluate(Examples data, int batchSize) {
        ensureBuilt(batchSize);
        checkExamples("evaluate", data);
        return trainer.evaluate(data, batchSize);
    }

    /** Model outputs (after the final activation) for every example, row after row. */
    public float[] predict(Examples data) {
        ensureBuilt(Math.min(Math.max(data.count(), 1), 128));
        ExampleChecks.inputs("predict", data, input.inputShape());
        int per = Math.toIntExact(outputShape().size());
        float[] result = new float[Math.multiplyExact(per, data.count())];
        int capacity = planned.capacity();
        for (int from = 0; from < data.count(); from += capacity) {
            int n = Math.min(capacity, data.count() - from);
            executor.loadInputs(data, from, n);
            executor.forward(n, false);
            planned.backend().download(result, from * per, executor.output(n));
        }
        return result;
    }

    // ---- state (checkpoints, callbacks, tests) ----------------------------------------------------------------

    /** The parameters, optimizer state and counters, as checkpoints read and write them. */
    public ModelState state() {
        checkBuilt("state");
        return state;
    }

    /** Parameter names and shapes in plan order ("dense/kernel" ...). */
    public LinkedHashMap<String, Shape> parameterShapes() {
        return state().parameterShapes();
    }

    /** Copies of the parameter values, by name (Keras' get_weights). */
    public LinkedHashMap<String, float[]> parameters() {
        return state().parameters();
    }

    /** Replaces parameter {@code name}'s values (Keras' set_weights, one at a time). */
    public void setParameter(String name, float[] values) {
        state().setParameter(name, values);
    }

    /** Optimizer steps taken over every fit. */
    public long stepCount() {
        return state().steps();
    }

    /** Epochs completed over every fit. */
    public int epochsDone() {
        return state().epochsDone();
    }

    /**
     * Forward, loss and backward on the first {@code n} examples with the dropout generator at
     * {@code generatorOffset}, no optimizer step: lets a gradient check repeat the exact same computation.
     */
    float lossAndGradients(Examples data, int n, long generatorOffset) {
        checkBuilt("lossAndGradients");
        return trainer.lossAndGradients(data, n, generatorOffset);
    }

    /** Copies of the parameter gradients of the last backward pass, by parameter name. */
    LinkedHashMap<String, float[]> gradients() {
        return state().gradients();
    }

    // ---- life cycle ------------------------------------------------------------------------------------------

    private void ensureBuilt(int batchSize) {
        checkOpen();
        if (!isBuilt()) {
            build(batchSize, Backends.cpu());
        }
    }

    /** Refuses examples this model cannot take ({@link ExampleChecks}). */
    private void checkExamples(String op, Examples data) {
        ExampleChecks.examples(op, data, input.inputShape(), outputShape(), loss);
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

    /** Releases the model's device memory. The backend stays open: it belongs to the caller. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (planned != null) {
                planned.release();
            }
        }
    }
}
