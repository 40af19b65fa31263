package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

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
 * (thread-local capture mode), instantiated and launched, and is replayed from then on: one cuGraphLaunch, nothing
 * else. That is all a replay needs, because no op of a step takes a value that changes from step to step as a host
 * argument: those live in device tensors written before the step (the batch, the
 * {@link io.kernelnet.backend.StepScalars}), which the captured kernels read when they run.
 *
 * <p>A capture that fails (an op that waits for the device or allocates) is logged once with its reason, and that
 * shape runs plainly from then on. Not thread-safe, like the backend.
 */
final class StepGraphs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StepGraphs.class);

    private final CudaContext context;
    private final Map<Object, Recorded> byShape = new HashMap<>();
    private long captures;
    private long replays;

    /** What is known of one step shape: its graph once captured, or why it runs plainly. */
    private static final class Recorded {
        final Object owner;
        CUgraphExec exec;
        String refused;

        Recorded(Object owner) {
            this.owner = owner;
        }
    }

    StepGraphs(CudaContext context) {
        this.context = context;
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
        replay(r);
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

    private void replay(Recorded r) {
        try {
            cuGraphLaunch(r.exec, context.stream());
        } catch (jcuda.CudaException e) {
            throw CudaException.of("runStep", "cuGraphLaunch", e);
        }
        replays++;
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

    /** Destroys every graph. */
    @Override
    public void close() {
        byShape.values().forEach(StepGraphs::destroy);
        byShape.clear();
    }
}
