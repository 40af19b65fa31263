package io.kernelnet.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.cuda.CudnnArguments.Pass;
import io.kernelnet.backend.cuda.CudnnArguments.Perf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import jcuda.driver.JCudaDriver;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Convolutions and pooling by cuDNN's legacy descriptor API on the backend's context and stream, FP32 in
 * CUDNN_FMA_MATH (no TF32: results match the CPU reference). Arguments come from {@link CudnnArguments}.
 *
 * <p>Per convolution geometry (batch size included, so a smaller last batch is its own geometry) one set of
 * descriptors and three lists of usable algorithms, fastest first, are made once and kept until {@link #close}:
 * <ul>
 * <li>{@link #plan} times every algorithm with cudnnFindConvolution*Algorithm (the variants without buffers: cuDNN
 * cudaMallocs its own x, w, y and workspace for the search and frees them, outside our memory accounting; host
 * blocking; build time only) and keeps those that succeeded in FMA math within the workspace limit. When
 * deterministic it keeps cuDNN's heuristic order instead (as below), so that every run picks the same algorithms,
 * and only those reported deterministic.</li>
 * <li>A geometry first seen by a conv call (not planned) is ranked by the heuristic
 * cudnnGetConvolution*Algorithm_v7 with cudnnGet*WorkspaceSize instead: no allocation, no kernel runs. Logged
 * once.</li>
 * <li>Each call runs the fastest kept algorithm whose workspace fits in the bytes given; none fitting throws
 * IllegalStateException. A call never allocates device memory.</li>
 * </ul>
 *
 * <p>Pooling: CUDNN_POOLING_MAX (CUDNN_POOLING_MAX_DETERMINISTIC when deterministic) with CUDNN_PROPAGATE_NAN, as the
 * CPU reference where NaN wins a max; average with CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING (padded positions are
 * not counted). The max backward recomputes the winners from x and y, so the argmax tensor is neither written nor
 * read. Ties (equal values in a window) send the gradient to one of them, as the CPU reference does to its first;
 * which one cuDNN picks is not documented.
 *
 * <p>Asymmetric padding (Keras 'same' with an even kernel or a stride) cannot be described to cuDNN: {@link #plan}
 * and the pooling ops throw UnsupportedOperationException; {@link #supports} tells beforehand. Not thread-safe:
 * one thread drives it, as it drives the backend.
 *
 * <p>cuDNN 9 marks this legacy API deprecated (the graph API succeeds it) but ships it through 9.x; hence the
 * suppressed deprecation warnings.
 */
@SuppressWarnings("deprecation")
final class CudnnConv implements ConvEngine {
    private static final Logger log = LoggerFactory.getLogger(CudnnConv.class);

    private final CudaContext context;
    private final boolean deterministic;
    private final String version;
    private final cudnnContext handle;
    private final FloatPointer one;
    private final FloatPointer zero;
    /** Every descriptor ever created, destroyed in reverse order by {@link #close}. */
    private final Deque<Runnable> destroyers = new ArrayDeque<>();
    private final Map<Conv2dGeometry, ConvPlan> convPlans = new HashMap<>();
    private final Map<PoolKey, PoolPlan> poolPlans = new HashMap<>();
    private final Map<BiasKey, BiasPlan> biasPlans = new HashMap<>();
    private boolean created;
    private boolean closed;
    private long calls;
    private String lastCall = "none";

    /**
     * Throws IllegalStateException with the reason when cuDNN cannot be loaded; CudaException when cudnnCreate or
     * cudnnSetStream fails.
     */
    CudnnConv(CudaContext context, boolean deterministic) {
        VendorLibraries.Status status = VendorLibraries.cudnn();
        if (!status.loaded()) {
            throw new IllegalStateException("cuDNN is not available: " + status.detail());
        }
        this.context = context;
        this.deterministic = deterministic;
        this.version = status.detail();
        // created only now: touching a cuDNN class before the probe would throw the raw link error
        this.handle = new cudnnContext();
        this.one = new FloatPointer(1f);
        this.zero = new FloatPointer(0f);
        context.bind();
        try {
            check("open cuDNN", null, "cudnnCreate", cudnn.cudnnCreate(handle));
            created = true;
            check("open cuDNN", null, "cudnnSetStream",
                    cudnn.cudnnSetStream(handle, new RawPointers.Stream(context.stream().address())));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Whether cuDNN's legacy API can describe this convolution (see {@link CudnnArguments#unsupported}). */
    static boolean supports(Conv2dGeometry g) {
        return CudnnArguments.unsupported(g) == null;
    }

    static boolean supports(Pool2dGeometry g) {
        return CudnnArguments.unsupported(g) == null;
    }

    // ---- convolution -------------------------------------------------------------------------------------------

    /**
     * Times every algorithm of the three passes once per geometry (see the class comment); planning the same
     * geometry again only applies the new limit. Throws UnsupportedOperationException for asymmetric padding, or when
     * no algorithm of one pass passes the filters within the limit (the message lists what cuDNN reported).
     */
    @Override
    public ConvChoice plan(Conv2dGeometry g, long workspaceLimitBytes) {
        open("plan");
        CudnnArguments.Conv a = CudnnArguments.conv(g);
        if (g.n() == 0) {
            return new ConvChoice(0, "empty batch, nothing to compute");
        }
        ConvPlan p = convPlans.get(g);
        if (p == null) {
            p = describe("plan", g, a);
            convPlans.put(g, p);
            if (deterministic) {
                // cuDNN's heuristic order is the same on every run; timing could pick another algorithm when two
                // are close, and with it other bits
                rank(p);
            }
        }
        if (!deterministic && !p.measured) {
            // a geometry ranked by the heuristic at call time keeps its descriptors and is now timed
            find(p);
        }
        Perf fwd = first(g, Pass.FORWARD, p.forward, workspaceLimitBytes);
        Perf bwdData = first(g, Pass.BACKWARD_DATA, p.backwardData, workspaceLimitBytes);
        Perf bwdFilter = first(g, Pass.BACKWARD_FILTER, p.backwardFilter, workspaceLimitBytes);
        p.limit = workspaceLimitBytes;
        long bytes = Math.max(fwd.memory(), Math.max(bwdData.memory(), bwdFilter.memory()));
        String what = Pass.FORWARD.label() + " " + Pass.FORWARD.algorithmName(fwd.algo()) + ", "
                + Pass.BACKWARD_DATA.label() + " " + Pass.BACKWARD_DATA.algorithmName(bwdData.algo()) + ", "
                + Pass.BACKWARD_FILTER.label() + " " + Pass.BACKWARD_FILTER.algorithmName(bwdFilter.algo());
        log.debug("cuDNN plan for {}: {}, {} workspace bytes", g, what, bytes);
        return new ConvChoice(bytes, what);
    }

    private static Perf first(Conv2dGeometry g, Pass pass, Reported r, long limit) {
        Perf p = CudnnArguments.fitting(r.usable, limit);
        if (p == null) {
            throw new UnsupportedOperationException("cuDNN has no usable " + pass.label() + " algorithm for " + g
                    + " within " + limit + " workspace bytes (FMA math" + (r.deterministic ? ", deterministic" : "")
                    + "); cuDNN reported: " + CudnnArguments.describe(pass, r.reported));
        }
        return p;
    }

    @Override
    public void conv2dForward(DevicePointer y, DevicePointer x, DevicePointer w, Conv2dGeometry g,
                              DevicePointer workspace, long workspaceBytes) {
        String op = "conv2dForward";
        open(op);
        ConvPlan p = planned(op, g);
        if (p == null) {
            return;
        }
        long bytes = workspace == null ? 0 : workspaceBytes;
        Perf algo = pick(op, g, Pass.FORWARD, p.forward, p.limit, bytes);
        call(op, g, "cudnnConvolutionForward (" + Pass.FORWARD.algorithmName(algo.algo()) + ")",
                cudnn.cudnnConvolutionForward(handle, one, p.x, raw(x), p.w, raw(w), p.conv, algo.algo(),
                        raw(workspace), bytes, zero, p.y, raw(y)));
    }

    @Override
    public void conv2dBackwardData(DevicePointer dx, DevicePointer dy, DevicePointer w, Conv2dGeometry g,
                                   DevicePointer workspace, long workspaceBytes) {
        String op = "conv2dBackwardData";
        open(op);
        ConvPlan p = planned(op, g);
        if (p == null) {
            return;
        }
        long bytes = workspace == null ? 0 : workspaceBytes;
        Perf algo = pick(op, g, Pass.BACKWARD_DATA, p.backwardData, p.limit, bytes);
        call(op, g, "cudnnConvolutionBackwardData (" + Pass.BACKWARD_DATA.algorithmName(algo.algo()) + ")",
                cudnn.cudnnConvolutionBackwardData(handle, one, p.w, raw(w), p.y, raw(dy), p.conv, algo.algo(),
                        raw(workspace), bytes, zero, p.x, raw(dx)));
    }

    @Override
    public void conv2dBackwardFilter(DevicePointer dw, DevicePointer dy, DevicePointer x, Conv2dGeometry g,
                                     DevicePointer workspace, long workspaceBytes) {
        String op = "conv2dBackwardFilter";
        open(op);
        ConvPlan p = planned(op, g);
        if (p == null) {
            // no samples: the gradient is zero, as the CPU reference writes it (cuDNN refuses n = 0)
            zeroFill(op, dw, (long) g.cOut() * g.cIn() * g.kh() * g.kw());
            return;
        }
        long bytes = workspace == null ? 0 : workspaceBytes;
        Perf algo = pick(op, g, Pass.BACKWARD_FILTER, p.backwardFilter, p.limit, bytes);
        call(op, g, "cudnnConvolutionBackwardFilter (" + Pass.BACKWARD_FILTER.algorithmName(algo.algo()) + ")",
                cudnn.cudnnConvolutionBackwardFilter(handle, one, p.x, raw(x), p.y, raw(dy), p.conv, algo.algo(),
                        raw(workspace), bytes, zero, p.w, raw(dw)));
    }

    /**
     * The plan of {@code g}; for a geometry {@link #plan} was not called for, made now and ranked by cuDNN's
     * heuristic (no allocation, no kernel run), logged once. Null for an empty batch: nothing to compute.
     */
    private ConvPlan planned(String op, Conv2dGeometry g) {
        ConvPlan p = convPlans.get(g);
        if (p != null) {
            return p;
        }
        CudnnArguments.Conv a = CudnnArguments.conv(g);
        if (g.n() == 0) {
            return null;
        }
        p = describe(op, g, a);
        rank(p);
        convPlans.put(g, p);
        log.info("cuDNN: {} for {} was not planned; its algorithms are ranked by cuDNN's heuristic, not timed", op, g);
        return p;
    }

    /** The fastest usable algorithm within the plan's limit whose workspace fits in what this call was given. */
    private static Perf pick(String op, Conv2dGeometry g, Pass pass, Reported r, long limit, long workspaceBytes) {
        Perf p = CudnnArguments.fitting(r.usable, Math.min(limit, workspaceBytes));
        if (p == null) {
            long least = r.usable.stream().mapToLong(Perf::memory).min().orElse(-1);
            throw new IllegalStateException("cuda: " + op + ": no cuDNN " + pass.label() + " algorithm for " + g
                    + " fits in the " + workspaceBytes + " workspace bytes given (plan limit " + limit + "; "
                    + (least >= 0 ? "the smallest needs " + least + " bytes)"
                    : "none usable, cuDNN reported: " + CudnnArguments.describe(pass, r.reported) + ")"));
        }
        return p;
    }

    /** Descriptors of one convolution geometry (n > 0): NCHW float, cross-correlation, FP32 compute, FMA math. */
    private ConvPlan describe(String op, Conv2dGeometry g, CudnnArguments.Conv a) {
        ConvPlan p = new ConvPlan(g);
        p.x = tensor(op, g, a.n(), a.c(), a.h(), a.w());
        p.y = tensor(op, g, a.n(), a.k(), a.outH(), a.outW());
        cudnnFilterStruct filter = new cudnnFilterStruct();
        check(op, g, "cudnnCreateFilterDescriptor", cudnn.cudnnCreateFilterDescriptor(filter));
        destroyers.push(() -> check("close cuDNN", null, "cudnnDestroyFilterDescriptor",
                cudnn.cudnnDestroyFilterDescriptor(filter)));
        check(op, g, "cudnnSetFilter4dDescriptor", cudnn.cudnnSetFilter4dDescriptor(filter, CUDNN_DATA_FLOAT,
                CUDNN_TENSOR_NCHW, a.k(), a.c(), a.r(), a.s()));
        p.w = filter;
        cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        check(op, g, "cudnnCreateConvolutionDescriptor", cudnn.cudnnCreateConvolutionDescriptor(conv));
        destroyers.push(() -> check("close cuDNN", null, "cudnnDestroyConvolutionDescriptor",
                cudnn.cudnnDestroyConvolutionDescriptor(conv)));
        check(op, g, "cudnnSetConvolution2dDescriptor", cudnn.cudnnSetConvolution2dDescriptor(conv, a.padH(),
                a.padW(), a.strideH(), a.strideW(), a.dilationH(), a.dilationW(), CUDNN_CROSS_CORRELATION,
                CUDNN_DATA_FLOAT));
        // FMA only: CUDNN_DEFAULT_MATH lets cuDNN run FP32 convolutions as TF32 on Ampere and newer
        check(op, g, "cudnnSetConvolutionMathType", cudnn.cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));
        p.conv = conv;
        // cuDNN refuses a y descriptor of another size than its own: check the mapping once here
        int[] n = new int[1];
        int[] c = new int[1];
        int[] h = new int[1];
        int[] w = new int[1];
        check(op, g, "cudnnGetConvolution2dForwardOutputDim",
                cudnn.cudnnGetConvolution2dForwardOutputDim(conv, p.x, filter, n, c, h, w));
        if (n[0] != a.n() || c[0] != a.k() || h[0] != a.outH() || w[0] != a.outW()) {
            throw new IllegalStateException("cuda: " + op + ": cuDNN computes the output " + n[0] + "x" + c[0] + "x"
                    + h[0] + "x" + w[0] + " for " + g + ", the geometry says " + g.outputShape());
        }
        return p;
    }

    /** Times every algorithm of the three passes with cudnnFind* (see the class comment). */
    private void find(ConvPlan p) {
        String op = "plan";
        Conv2dGeometry g = p.geometry;
        int[] max = new int[1];
        int[] count = new int[1];
        check(op, g, "cudnnGetConvolutionForwardAlgorithmMaxCount",
                cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, max));
        try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(Math.max(1, max[0]))) {
            check(op, g, "cudnnFindConvolutionForwardAlgorithm", cudnn.cudnnFindConvolutionForwardAlgorithm(handle,
                    p.x, p.w, p.conv, p.y, max[0], count, perf));
            p.forward = reported(count[0], i -> {
                cudnnConvolutionFwdAlgoPerf_t r = perf.getPointer(i);
                return new Perf(r.algo(), r.status(), r.time(), r.memory(), r.determinism(), r.mathType());
            });
        }
        check(op, g, "cudnnGetConvolutionBackwardDataAlgorithmMaxCount",
                cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, max));
        try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(Math.max(1, max[0]))) {
            check(op, g, "cudnnFindConvolutionBackwardDataAlgorithm",
                    cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, p.w, p.y, p.conv, p.x, max[0], count,
                            perf));
            p.backwardData = reported(count[0], i -> {
                cudnnConvolutionBwdDataAlgoPerf_t r = perf.getPointer(i);
                return new Perf(r.algo(), r.status(), r.time(), r.memory(), r.determinism(), r.mathType());
            });
        }
        check(op, g, "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount",
                cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, max));
        try (cudnnConvolutionBwdFilterAlgoPerf_t perf =
                     new cudnnConvolutionBwdFilterAlgoPerf_t(Math.max(1, max[0]))) {
            check(op, g, "cudnnFindConvolutionBackwardFilterAlgorithm",
                    cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, p.x, p.y, p.conv, p.w, max[0], count,
                            perf));
            p.backwardFilter = reported(count[0], i -> {
                cudnnConvolutionBwdFilterAlgoPerf_t r = perf.getPointer(i);
                return new Perf(r.algo(), r.status(), r.time(), r.memory(), r.determinism(), r.mathType());
            });
        }
        p.measured = true;
    }

    /**
     * Ranks the algorithms of the three passes with cudnnGet*Algorithm_v7 (heuristic: no allocation, nothing run)
     * and asks cudnnGet*WorkspaceSize for each one's workspace. Time -1: unmeasured, cuDNN's order is kept.
     */
    private void rank(ConvPlan p) {
        String op = "rank";
        Conv2dGeometry g = p.geometry;
        int[] max = new int[1];
        int[] count = new int[1];
        try (SizeTPointer size = new SizeTPointer(1)) {
            check(op, g, "cudnnGetConvolutionForwardAlgorithmMaxCount",
                    cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, max));
            try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(Math.max(1, max[0]))) {
                check(op, g, "cudnnGetConvolutionForwardAlgorithm_v7",
                        cudnn.cudnnGetConvolutionForwardAlgorithm_v7(handle, p.x, p.w, p.conv, p.y, max[0], count,
                                perf));
                p.forward = reported(count[0], i -> {
                    cudnnConvolutionFwdAlgoPerf_t r = perf.getPointer(i);
                    int status = r.status() != CUDNN_STATUS_SUCCESS ? r.status()
                            : cudnn.cudnnGetConvolutionForwardWorkspaceSize(handle, p.x, p.w, p.conv, p.y, r.algo(),
                            size);
                    return heuristic(r.algo(), status, size, r.determinism(), r.mathType());
                });
            }
            check(op, g, "cudnnGetConvolutionBackwardDataAlgorithmMaxCount",
                    cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, max));
            try (cudnnConvolutionBwdDataAlgoPerf_t perf =
                         new cudnnConvolutionBwdDataAlgoPerf_t(Math.max(1, max[0]))) {
                check(op, g, "cudnnGetConvolutionBackwardDataAlgorithm_v7",
                        cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, p.w, p.y, p.conv, p.x, max[0],
                                count, perf));
                p.backwardData = reported(count[0], i -> {
                    cudnnConvolutionBwdDataAlgoPerf_t r = perf.getPointer(i);
                    int status = r.status() != CUDNN_STATUS_SUCCESS ? r.status()
                            : cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(handle, p.w, p.y, p.conv, p.x,
                            r.algo(), size);
                    return heuristic(r.algo(), status, size, r.determinism(), r.mathType());
                });
            }
            check(op, g, "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount",
                    cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, max));
            try (cudnnConvolutionBwdFilterAlgoPerf_t perf =
                         new cudnnConvolutionBwdFilterAlgoPerf_t(Math.max(1, max[0]))) {
                check(op, g, "cudnnGetConvolutionBackwardFilterAlgorithm_v7",
                        cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, p.x, p.y, p.conv, p.w, max[0],
                                count, perf));
                p.backwardFilter = reported(count[0], i -> {
                    cudnnConvolutionBwdFilterAlgoPerf_t r = perf.getPointer(i);
                    int status = r.status() != CUDNN_STATUS_SUCCESS ? r.status()
                            : cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, p.x, p.y, p.conv, p.w,
                            r.algo(), size);
                    return heuristic(r.algo(), status, size, r.determinism(), r.mathType());
                });
            }
        }
    }

    private static Perf heuristic(int algo, int status, SizeTPointer size, int determinism, int mathType) {
        return new Perf(algo, status, -1f, status == CUDNN_STATUS_SUCCESS ? size.get() : -1, determinism, mathType);
    }

    private Reported reported(int count, IntFunction<Perf> at) {
        List<Perf> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            all.add(at.apply(i));
        }
        return new Reported(all, deterministic);
    }

    // ---- pooling -----------------------------------------------------------------------------------------------

    /** The argmax tensor is not written: the backward recomputes the winners from x and y. */
    @Override
    public void maxPool2dForward(DevicePointer y, DevicePointer argmax, DevicePointer x, Pool2dGeometry g) {
        String op = "maxPool2dForward";
        open(op);
        PoolPlan p = pool(op, g, deterministic ? CUDNN_POOLING_MAX_DETERMINISTIC : CUDNN_POOLING_MAX);
        if (p != null) {
            call(op, g, "cudnnPoolingForward (max)",
                    cudnn.cudnnPoolingForward(handle, p.pooling, one, p.x, raw(x), zero, p.y, raw(y)));
        }
    }

    /** {@code argmax} is not read; x and y must be the forward's input and output. */
    @Override
    public void maxPool2dBackward(DevicePointer dx, DevicePointer dy, DevicePointer x, DevicePointer y,
                                  DevicePointer argmax, Pool2dGeometry g) {
        String op = "maxPool2dBackward";
        open(op);
        PoolPlan p = pool(op, g, deterministic ? CUDNN_POOLING_MAX_DETERMINISTIC : CUDNN_POOLING_MAX);
        if (p != null) {
            call(op, g, "cudnnPoolingBackward (max)", cudnn.cudnnPoolingBackward(handle, p.pooling, one, p.y, raw(y),
                    p.y, raw(dy), p.x, raw(x), zero, p.x, raw(dx)));
        }
    }

    @Override
    public void avgPool2dForward(DevicePointer y, DevicePointer x, Pool2dGeometry g) {
        String op = "avgPool2dForward";
        open(op);
        PoolPlan p = pool(op, g, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING);
        if (p != null) {
            call(op, g, "cudnnPoolingForward (average)",
                    cudnn.cudnnPoolingForward(handle, p.pooling, one, p.x, raw(x), zero, p.y, raw(y)));
        }
    }

    /**
     * cudnnPoolingBackward takes the forward's x and y in every mode; an average's gradient depends on neither, and
     * this op is not given them, so dy stands in for y and dx for x (the same shapes; their values are not used).
     */
    @Override
    public void avgPool2dBackward(DevicePointer dx, DevicePointer dy, Pool2dGeometry g) {
        String op = "avgPool2dBackward";
        open(op);
        PoolPlan p = pool(op, g, CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING);
        if (p != null) {
            call(op, g, "cudnnPoolingBackward (average)", cudnn.cudnnPoolingBackward(handle, p.pooling, one, p.y,
                    raw(dy), p.y, raw(dy), p.x, raw(dx), zero, p.x, raw(dx)));
        }
    }

    /**
     * Descriptors of one pooling geometry and mode, made on first use (host memory only). Throws
     * UnsupportedOperationException for asymmetric padding; null for an empty batch (nothing to compute).
     */
    private PoolPlan pool(String op, Pool2dGeometry g, int mode) {
        CudnnArguments.Pool a = CudnnArguments.pool(g);
        if (g.n() == 0) {
            return null;
        }
        PoolKey key = new PoolKey(g, mode);
        PoolPlan p = poolPlans.get(key);
        if (p != null) {
            return p;
        }
        p = new PoolPlan();
        p.x = tensor(op, g, a.n(), a.c(), a.h(), a.w());
        p.y = tensor(op, g, a.n(), a.c(), a.outH(), a.outW());
        cudnnPoolingStruct pooling = new cudnnPoolingStruct();
        check(op, g, "cudnnCreatePoolingDescriptor", cudnn.cudnnCreatePoolingDescriptor(pooling));
        destroyers.push(() -> check("close cuDNN", null, "cudnnDestroyPoolingDescriptor",
                cudnn.cudnnDestroyPoolingDescriptor(pooling)));
        // NaN propagates: in the CPU reference a NaN wins its window's max
        check(op, g, "cudnnSetPooling2dDescriptor", cudnn.cudnnSetPooling2dDescriptor(pooling, mode,
                CUDNN_PROPAGATE_NAN, a.windowH(), a.windowW(), a.padH(), a.padW(), a.strideH(), a.strideW()));
        p.pooling = pooling;
        int[] n = new int[1];
        int[] c = new int[1];
        int[] h = new int[1];
        int[] w = new int[1];
        check(op, g, "cudnnGetPooling2dForwardOutputDim",
                cudnn.cudnnGetPooling2dForwardOutputDim(pooling, p.x, n, c, h, w));
        if (n[0] != a.n() || c[0] != a.c() || h[0] != a.outH() || w[0] != a.outW()) {
            throw new IllegalStateException("cuda: " + op + ": cuDNN computes the output " + n[0] + "x" + c[0] + "x"
                    + h[0] + "x" + w[0] + " for " + g + ", the geometry says " + g.outputShape());
        }
        poolPlans.put(key, p);
        return p;
    }

    // ---- bias gradient -----------------------------------------------------------------------------------------

    /**
     * dBias[c] = sum of dy[n, c, h, w] over n, h and w (cudnnConvolutionBackwardBias); dy is NCHW. Not part of
     * {@link ConvEngine}: the backend's biasGrad runs our kernel; this is here for comparison and the bench.
     */
    void convBackwardBias(DevicePointer dBias, DevicePointer dy, int n, int c, int h, int w) {
        String op = "convBackwardBias";
        open(op);
        BiasKey key = new BiasKey(n, c, h, w);
        if (n == 0 || h == 0 || w == 0) {
            zeroFill(op, dBias, c);
            return;
        }
        BiasPlan p = biasPlans.get(key);
        if (p == null) {
            p = new BiasPlan(tensor(op, key, n, c, h, w), tensor(op, key, 1, c, 1, 1));
            biasPlans.put(key, p);
        }
        call(op, key, "cudnnConvolutionBackwardBias",
                cudnn.cudnnConvolutionBackwardBias(handle, one, p.dy, raw(dy), zero, p.dBias, raw(dBias)));
    }

    // ---- plumbing ----------------------------------------------------------------------------------------------

    /** "cuDNN 9.19.0" (" (deterministic)" when on). */
    @Override
    public String description() {
        return "cuDNN " + version + (deterministic ? " (deterministic)" : "");
    }

    /** cuDNN calls made by the ops (not planning): evidence that cuDNN ran. */
    long calls() {
        return calls;
    }

    /** The last cuDNN call an op made, e.g. "cudnnConvolutionForward (implicit_gemm)". */
    String lastCall() {
        return lastCall;
    }

    private void open(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this cuDNN engine was closed");
        }
        context.bind();
    }

    private cudnnTensorStruct tensor(String op, Object what, int n, int c, int h, int w) {
        cudnnTensorStruct t = new cudnnTensorStruct();
        check(op, what, "cudnnCreateTensorDescriptor", cudnn.cudnnCreateTensorDescriptor(t));
        destroyers.push(() -> check("close cuDNN", null, "cudnnDestroyTensorDescriptor",
                cudnn.cudnnDestroyTensorDescriptor(t)));
        check(op, what, "cudnnSetTensor4dDescriptor",
                cudnn.cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
        return t;
    }

    private void zeroFill(String op, DevicePointer p, long floats) {
        if (floats > 0) {
            try {
                JCudaDriver.cuMemsetD32Async(p, 0, floats, context.stream());
            } catch (jcuda.CudaException e) {
                throw CudaException.of(op, "cuMemsetD32Async", e);
            }
        }
    }

    private void call(String op, Object what, String call, int status) {
        check(op, what, call, status);
        calls++;
        lastCall = call;
    }

    /** A JavaCPP view of a device address (no allocation, no deallocator); null stays null. */
    private static Pointer raw(DevicePointer p) {
        return p == null ? null : new RawPointers.Floats(p.address());
    }

    /** A non-success status becomes CudaException naming the op, the call, cuDNN's error and its last message. */
    private static void check(String op, Object what, String call, int status) {
        if (status != CUDNN_STATUS_SUCCESS) {
            String name = cudnn.cudnnGetErrorString(status).getString();
            throw new CudaException("cuda: " + op + ": " + call + " failed with " + name + lastError()
                    + (what == null ? "" : " for " + what), name);
        }
    }

    /** cuDNN 9's message for the last error of this thread, " (...)", or "" when there is none. */
    private static String lastError() {
        try {
            byte[] text = new byte[512];
            cudnn.cudnnGetLastErrorString(text, text.length);
            int end = 0;
            while (end < text.length && text[end] != 0) {
                end++;
            }
            String message = new String(text, 0, end, StandardCharsets.UTF_8).strip();
            return message.isEmpty() ? "" : " (" + message + ")";
        } catch (LinkageError e) {
            return "";
        }
    }

    /**
     * Destroys every descriptor and the handle (after the backend synchronized its stream); later ops throw.
     * Idempotent. The first failure is thrown after every step ran.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> steps = new ArrayList<>();
        steps.add(context::bind);
        while (!destroyers.isEmpty()) {
            steps.add(destroyers.pop());
        }
        if (created) {
            created = false;
            steps.add(() -> check("close cuDNN", null, "cudnnDestroy", cudnn.cudnnDestroy(handle)));
        }
        steps.add(() -> {
            convPlans.clear();
            poolPlans.clear();
            biasPlans.clear();
            one.close();
            zero.close();
        });
        Cleanup.runAll(steps);
    }

    /** What cuDNN reported for one pass and, fastest first, what we may run (FMA, deterministic when asked). */
    private static final class Reported {
        final List<Perf> reported;
        final List<Perf> usable;
        final boolean deterministic;

        Reported(List<Perf> reported, boolean deterministic) {
            this.reported = List.copyOf(reported);
            this.usable = List.copyOf(CudnnArguments.usable(reported, Long.MAX_VALUE, deterministic));
            this.deterministic = deterministic;
        }
    }

    /** Descriptors and algorithms of one convolution geometry. */
    private static final class ConvPlan {
        final Conv2dGeometry geometry;
        cudnnTensorStruct x;
        cudnnTensorStruct y;
        cudnnFilterStruct w;
        cudnnConvolutionStruct conv;
        Reported forward;
        Reported backwardData;
        Reported backwardFilter;
        /** Timed by Find (plan) rather than ranked by the heuristic (first seen in a call). */
        boolean measured;
        /** The workspace limit of the last plan; calls choose within it. */
        long limit = Long.MAX_VALUE;

        ConvPlan(Conv2dGeometry geometry) {
            this.geometry = geometry;
        }
    }

    private static final class PoolPlan {
        cudnnTensorStruct x;
        cudnnTensorStruct y;
        cudnnPoolingStruct pooling;
    }

    private record PoolKey(Pool2dGeometry geometry, int mode) {
    }

    private record BiasKey(int n, int c, int h, int w) {
    }

    private record BiasPlan(cudnnTensorStruct dy, cudnnTensorStruct dBias) {
    }
}
