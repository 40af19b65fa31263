package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import io.kernelnet.backend.AdamStep;
import io.kernelnet.backend.SgdStep;
import io.kernelnet.backend.TrainingStep;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole training steps as CUDA graphs ({@link io.kernelnet.backend.Backend#runStep}). A step shape runs plainly the
 * first time (cuDNN and cuBLAS finish their lazy setup), is captured from the backend's stream the second time
 * (thread-local capture mode), instantiated and launched, and is replayed from then on: one kn_set_step_inputs
 * launch with the step's generator position, learning rate and bias corrections, which the captured dropout and
 * optimizer kernels read from {@link #inputs}, then one cuGraphLaunch. Nothing waits for the device.
 *
 * <p>A capture that fails (an op that waits for the device or allocates, a step whose op calls take a host value
 * that {@link TrainingStep} does not carry) is logged once with its reason, and that shape runs plainly from then
 * on. Not thread-safe, like the backend.
 */
final class StepGraphs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StepGraphs.class);
    /** Floats of {@link #inputs}: the generator position (8 bytes), then lr, bias_correction1, bias_correction2. */
    private static final int INPUT_FLOATS = 64;
    private static final int OFFSET_BASE = 0;
    private static final int STEP_INPUTS = 2;

    private final CudaContext context;
    private final Kernels kernels;
    private final CudaStorage inputs;
    private final Map<Object, Recorded> byShape = new HashMap<>();
    /** The step being captured, or null. */
    private TrainingStep capturing;
    private Recorded capturingInto;
    private long captures;
    private long replays;

    /** What is known of one step shape: its graph once captured, or why it runs plainly. */
    private static final class Recorded {
        final Object owner;
        CUgraphExec exec;
        String refused;
        /** The optimizer's settings as captured: the replayed bias corrections are computed from them. */
        AdamStep adam;
        boolean sgd;

        Recorded(Object owner) {
            this.owner = owner;
        }
    }

    StepGraphs(CudaContext context, Kernels kernels, DeviceMemory memory) {
        this.context = context;
        this.kernels = kernels;
        this.inputs = memory.allocate(INPUT_FLOATS, "scratch: inputs of replayed training steps");
    }

    void run(TrainingStep step, Runnable work) {
        Recorded r = byShape.get(step.shape());
        if (r == null) {
            byShape.put(step.shape(), new Recorded(step.owner()));
            work.run();
            return;
        }
        if (r.refused != null) {
            work.run();
            return;
        }
        if (r.exec == null && !capture(r, step, work)) {
            work.run();
            return;
        }
        replay(r, step);
    }

    /** Records {@code work} into r's graph; false (and r refused, logged once) when the capture failed. */
    private boolean capture(Recorded r, TrainingStep step, Runnable work) {
        CUgraph graph = new CUgraph();
        RuntimeException failure = null;
        try {
            cuStreamBeginCapture(context.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        } catch (jcuda.CudaException e) {
            return refuse(r, step, "cuStreamBeginCapture: " + e.getMessage());
        }
        capturing = step;
        capturingInto = r;
        try {
            work.run();
        } catch (RuntimeException e) {
            failure = e;
        } catch (Error e) {
            // the stream must not stay capturing behind an error that goes on up: later ops would only be recorded
            try {
                cuStreamEndCapture(context.stream(), graph);
                cuGraphDestroy(graph);
            } catch (jcuda.CudaException ended) {
                e.addSuppressed(ended);
            }
            throw e;
        } finally {
            capturing = null;
            capturingInto = null;
        }
        boolean ended = false;
        try {
            cuStreamEndCapture(context.stream(), graph);
            ended = true;
        } catch (jcuda.CudaException e) {
            failure = failure != null ? failure : e;
        }
        if (failure == null) {
            CUgraphExec exec = new CUgraphExec();
            try {
                cuGraphInstantiate(exec, graph, 0);
                r.exec = exec;
                captures++;
            } catch (jcuda.CudaException e) {
                failure = e;
            }
        }
        if (ended) {
            cuGraphDestroy(graph);
        }
        return failure == null || refuse(r, step, failure.getMessage());
    }

    private boolean refuse(Recorded r, TrainingStep step, String reason) {
        r.refused = reason;
        log.warn("training steps of shape {} run without a CUDA graph: the capture failed ({})", step.shape(), reason);
        return false;
    }

    private void replay(Recorded r, TrainingStep step) {
        float correction1 = 1f;
        float correction2 = 1f;
        if (r.adam != null) {
            AdamStep a = r.adam;
            AdamStep now = a.at(step.step(), step.learningRate());
            // the plain path's arguments exactly (CudaBackend.adamUpdate)
            correction1 = (float) now.biasCorrection1();
            correction2 = (float) now.biasCorrection2();
        }
        String op = "runStep";
        kernels.setStepInputs(op, Grid.of(1), inputs.at(OFFSET_BASE), inputs.at(STEP_INPUTS), step.generatorOffset(),
                step.learningRate(), correction1, correction2);
        try {
            cuGraphLaunch(r.exec, context.stream());
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, "cuGraphLaunch", e);
        }
        replays++;
    }

    /**
     * While capturing: dropout's offset relative to the step's start, to be added on the device to the replayed
     * position at {@link #offsetBase()}; fails the capture for an offset before the step's start.
     */
    long relativeOffset(long offset) {
        long relative = offset - capturing.generatorOffset();
        if (relative < 0) {
            throw new IllegalStateException("graph capture: dropout offset " + offset + " lies before the step's "
                    + capturing.generatorOffset());
        }
        return relative;
    }

    boolean isCapturing() {
        return capturing != null;
    }

    DevicePointer offsetBase() {
        return inputs.at(OFFSET_BASE);
    }

    /**
     * While capturing: the device inputs an Adam update reads in place of lr and the bias corrections; fails the
     * capture unless the update is the step's one, at its step number and learning rate.
     */
    DevicePointer adamInputs(AdamStep a) {
        checkOptimizer("adam", a.step(), a.lr());
        capturingInto.adam = a;
        return inputs.at(STEP_INPUTS);
    }

    /** As {@link #adamInputs}, for SGD (which reads lr only). */
    DevicePointer sgdInputs(SgdStep s) {
        checkOptimizer("sgd", capturing.step(), s.lr());
        capturingInto.sgd = true;
        return inputs.at(STEP_INPUTS);
    }

    private void checkOptimizer(String name, long step, float lr) {
        if (capturingInto.adam != null || capturingInto.sgd) {
            throw new IllegalStateException("graph capture: a second optimizer update in one step");
        }
        if (step != capturing.step() || Float.compare(lr, capturing.learningRate()) != 0) {
            throw new IllegalStateException("graph capture: " + name + " update at step " + step + ", lr " + lr
                    + " is not the step's own (step " + capturing.step() + ", lr " + capturing.learningRate() + ")");
        }
    }

    /** Graphs captured so far, and replays launched: evidence that steps ran as graphs. */
    long captures() {
        return captures;
    }

    long replays() {
        return replays;
    }

    /** Why each refused step shape runs plainly (its capture failed); empty when none was refused. */
    List<String> refusals() {
        List<String> reasons = new ArrayList<>();
        byShape.values().forEach(r -> {
            if (r.refused != null) {
                reasons.add(r.refused);
            }
        });
        return reasons;
    }

    void forget(Object owner) {
        byShape.values().removeIf(r -> {
            if (r.owner != owner) {
                return false;
            }
            destroy(r);
            return true;
        });
    }

    private static void destroy(Recorded r) {
        if (r.exec != null) {
            cuGraphExecDestroy(r.exec);
            r.exec = null;
        }
    }

    /** Destroys every graph; the inputs buffer goes with the backend's memory. */
    @Override
    public void close() {
        byShape.values().forEach(StepGraphs::destroy);
        byShape.clear();
    }
}
