package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.MemoryPlan.Region;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What training changes in a built model and a checkpoint keeps: the parameters and the optimizer's state, by name,
 * and the counters (epochs done, optimizer steps, the dropout generator's position). Values are copied in and out
 * of the model's memory plan; {@link io.kernelnet.io.Checkpoints} reads and writes them here.
 */
public final class ModelState {
    /** Names of optimizer state start with this; parameter names never do (they start with a layer's name). */
    public static final String OPTIMIZER_STATE_PREFIX = "optimizer/";

    private final PlannedGraph planned;
    private final Backend backend;
    private final List<String> slotNames;
    private int epochsDone;
    private long steps;
    private long generatorOffset;

    ModelState(PlannedGraph planned, Optimizer optimizer) {
        this.planned = planned;
        this.backend = planned.backend();
        this.slotNames = optimizer.stateNames();
    }

    /** Parameter names and shapes in plan order ("dense/kernel" ...). */
    public LinkedHashMap<String, Shape> parameterShapes() {
        return shapes(parameterViews());
    }

    /** Copies of the parameter values, by name. */
    public LinkedHashMap<String, float[]> parameters() {
        return download(parameterViews());
    }

    /** Replaces parameter {@code name}'s values. */
    public void setParameter(String name, float[] values) {
        upload(parameterViews(), "parameter", name, values);
    }

    /**
     * The optimizer's state per parameter, named "optimizer/SLOT/PARAMETER" (Adam's "optimizer/m/dense/kernel",
     * SGD's "optimizer/velocity/dense/kernel"), each with its parameter's shape; empty for plain SGD.
     */
    public LinkedHashMap<String, Shape> optimizerStateShapes() {
        return shapes(optimizerStateViews());
    }

    /** Copies of the optimizer state, by the names of {@link #optimizerStateShapes()}. */
    public LinkedHashMap<String, float[]> optimizerState() {
        return download(optimizerStateViews());
    }

    /** Replaces one optimizer state buffer, named as in {@link #optimizerStateShapes()}. */
    public void setOptimizerState(String name, float[] values) {
        upload(optimizerStateViews(), "optimizer state", name, values);
    }

    /** Copies of the parameter gradients of the last backward pass, by parameter name. */
    LinkedHashMap<String, float[]> gradients() {
        LinkedHashMap<String, Tensor> views = new LinkedHashMap<>();
        MemoryPlan plan = planned.plan();
        for (GraphNode g : planned.graph().nodes()) {
            for (int i = 0; i < g.params.length; i++) {
                views.put(plan.entries().get(g.params[i]).name(), plan.tensor(g.grads[i]));
            }
        }
        return download(views);
    }

    public int epochsDone() {
        return epochsDone;
    }

    /** Optimizer steps taken. */
    public long steps() {
        return steps;
    }

    /** The dropout generator's position: the Philox counter the next training step starts from. */
    public long generatorOffset() {
        return generatorOffset;
    }

    /** Puts back the counters a checkpoint carries. */
    public void restoreCounters(int epochs, long stepCount, long generatorPosition) {
        this.epochsDone = epochs;
        this.steps = stepCount;
        this.generatorOffset = generatorPosition;
    }

    /** After a step: {@code stepCount} steps taken, the generator at {@code generatorPosition}. */
    void stepDone(long stepCount, long generatorPosition) {
        this.steps = stepCount;
        this.generatorOffset = generatorPosition;
    }

    void epochDone(int epochs) {
        this.epochsDone = epochs;
    }

    private LinkedHashMap<String, Tensor> parameterViews() {
        LinkedHashMap<String, Tensor> views = new LinkedHashMap<>();
        MemoryPlan plan = planned.plan();
        for (GraphNode g : planned.graph().nodes()) {
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
        long parametersStart = planned.plan().region(Region.PARAMETERS).offset();
        Tensor[] slots = planned.optimizerState();
        for (int s = 0; s < slots.length; s++) {
            for (Tensor p : parameterViews().values()) {
                String name = OPTIMIZER_STATE_PREFIX + slotNames.get(s) + "/" + p.name();
                views.put(name, slots[s].slice(p.offset() - parametersStart, p.shape(), name));
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
}
