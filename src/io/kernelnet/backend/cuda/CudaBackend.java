package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.code;
import static io.kernelnet.backend.cuda.KernelLauncher.count;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.CheckedBackend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.Numerics;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CUDA backend: our kernels (kernels/*.cu, kernels/CONTRACT.md) launched through the JCuda driver API on one
 * primary context and one stream; GEMM by our kernels or cuBLAS, convolution and pooling by our kernels or cuDNN
 * ({@link Engine}). {@link CheckedBackend} checks every call as it does for the CPU backends, so that both refuse a
 * bad call with the same message; this class owns the device and its lifetime and routes each checked op to its
 * family: {@link CudaActivations}, {@link CudaLosses}, {@link CudaReductions}, {@link CudaOptimizers},
 * {@link ConvRouter}, the GEMM engine, and here the memory ops and the dropout kernels. Nothing falls back to the
 * CPU: an op this backend cannot run throws.
 *
 * <p>Ops are queued asynchronously; uploads (but not {@link #uploadAsync}), downloads, returned scalars (losses,
 * sums, counts) and {@link #synchronize()} wait for the stream. Not thread-safe: one thread drives a backend at a time.
 */
public final class CudaBackend extends CheckedBackend {
    private static final Logger log = LoggerFactory.getLogger(CudaBackend.class);

    /** System property: the largest convolution workspace in MiB that a plan may ask for (default 256). */
    public static final String WORKSPACE_PROPERTY = "kernelnet.cuda.workspaceMiB";

    private final CudaContext context;
    private final Device device;
    private final Engine engine;
    private final boolean tf32;
    private final boolean deterministic;
    private DeviceMemory memory;
    private PinnedStaging staging;
    private QueuedUploads queuedUploads;
    private KernelModule module;
    private KernelLauncher launch;
    /** Typed launches of every kernel in {@link #module}. */
    private Kernels kernels;
    /** Training steps as CUDA graphs; null with graphs off. */
    private StepGraphs stepGraphs;
    private GemmEngine gemm;
    private ConvRouter conv;
    private CudaActivations activations;
    private CudaLosses losses;
    private CudaReductions reductions;
    private CudaOptimizers optimizers;
    private CudaCounters counters;
    private DevicePointer workspace;
    private long workspaceBytes;
    private boolean closed;

    /**
     * Opens device {@code ordinal}. Throws IllegalStateException with the reason when CUDA is not usable here
     * (see {@link CudaRuntime#availability()}) or when the vendor engine is asked for without cuBLAS.
     */
    public CudaBackend(int ordinal, CudaOptions options) {
        Availability availability = CudaRuntime.availability();
        if (!availability.usable()) {
            throw new IllegalStateException("cuda backend not available: " + availability.reason());
        }
        if (ordinal < 0 || ordinal >= availability.devices().size()) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist: " + availability.devices().size()
                    + " device(s) found");
        }
        CudaDeviceInfo info = availability.devices().get(ordinal);
        if (info.emulated()) {
            refuseWhatTheEmulatedDeviceCannotRun(options);
        }
        this.engine = options.engine();
        this.tf32 = options.tf32();
        this.deterministic = options.deterministic();
        this.device = Device.cuda(ordinal, info.name());
        this.context = new CudaContext(info);
        try {
            memory = new DeviceMemory(context);
            staging = new PinnedStaging(context);
            queuedUploads = new QueuedUploads(context, memory);
            module = new KernelModule(context, CudaRuntime.kernelImage());
            kernels = new Kernels(module);
            ScalarReducer reducer = new ScalarReducer(context, kernels, staging, memory);
            launch = new KernelLauncher(kernels, reducer, staging, memory, device, info.multiprocessors());
            if (options.graphs()) {
                stepGraphs = new StepGraphs(context);
            }
            gemm = options.engine() == Engine.VENDOR ? new CublasGemm(context, tf32)
                    : new KernelGemm(kernels, info.multiprocessors(), tf32);
            conv = new ConvRouter(context, memory, launch, options, Long.getLong(WORKSPACE_PROPERTY, 256) << 20);
            activations = new CudaActivations(launch);
            losses = new CudaLosses(launch);
            reductions = new CudaReductions(launch);
            optimizers = new CudaOptimizers(launch);
            counters = new CudaCounters(module, gemm, conv, stepGraphs, memory, staging, queuedUploads);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
        log.info("opened {}", description());
    }

    /**
     * cuBLAS, cuDNN and the TF32 GEMM (inline PTX mma) do not run on the emulated device: asking for them there is
     * refused with the reason, as asking for a GPU where there is none is.
     */
    private static void refuseWhatTheEmulatedDeviceCannotRun(CudaOptions options) {
        String device = "the " + CudaRuntime.EMULATED_DEVICE_NAME;
        if (options.engine() == Engine.VENDOR) {
            throw new IllegalStateException("cuda backend: engine vendor runs cuBLAS and cuDNN, which " + device
                    + " does not emulate: use engine kernels");
        }
        if (options.tf32()) {
            throw new IllegalStateException("cuda backend: tf32 runs tensor-core PTX (mma.sync), which " + device
                    + " cannot run on the CPU");
        }
    }

    // ---- what this backend is --------------------------------------------------------------------------------

    /** "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79 GiB), engine kernels" (", tf32" when on). */
    public String description() {
        return context.info().summary() + ", engine " + engine.label() + (tf32 ? ", tf32" : "")
                + (deterministic ? ", deterministic" : "") + ", conv " + convDescription();
    }

    /** TF32 GEMMs when opened with tf32; pooling sums in cuDNN's order where cuDNN pools (engine vendor). */
    @Override
    public Numerics numerics() {
        return new Numerics(tf32 ? Numerics.GemmPrecision.TF32 : Numerics.GemmPrecision.FP32, !conv.poolsWithCudnn());
    }

    /** cuDNN's max-pool writes no argmax of ours: its backward reads x and y. */
    @Override
    public boolean writesMaxPoolArgmax(Pool2dGeometry g) {
        return !conv.cudnnPools(g);
    }

    /** "kernels", "cuDNN 9.19.0", "auto (kernels or cuDNN 9.19.0 per shape)" or "kernels (cuDNN unavailable)". */
    public String convDescription() {
        return conv.description();
    }

    /** "kernels fp32", "vendor (cuBLAS 13.1.0) tf32". */
    public String gemmDescription() {
        return gemm.description();
    }

    public CudaDeviceInfo deviceInfo() {
        return context.info();
    }

    public Engine engine() {
        return engine;
    }

    public boolean tf32() {
        return tf32;
    }

    public boolean deterministic() {
        return deterministic;
    }

    /** Whether training steps run as CUDA graphs ({@link CudaOptions#graphs()}). */
    public boolean graphs() {
        return stepGraphs != null;
    }

    /** Whether the cuDNN engine is open (engine vendor or auto, and it loaded). */
    public boolean vendorConvAvailable() {
        return conv.vendorAvailable();
    }

    /** Why the cuDNN engine is not open, or null. */
    public String vendorConvUnavailableReason() {
        return conv.vendorUnavailableReason();
    }

    /** What convolutions of this shape (any batch) run on: the planned route, or null before any plan or call. */
    public String convChoice(Conv2dGeometry g) {
        return conv.choice(g);
    }

    /** What this backend has run and holds: kernel launches, GEMM and convolution calls, graphs, bytes. */
    public CudaCounters counters() {
        return counters;
    }

    /** A timer on this backend's stream; close it when done. */
    public EventTimer newTimer() {
        open("newTimer");
        return new EventTimer(context);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return device;
    }

    // ---- memory -------------------------------------------------------------------------------------------

    @Override
    public Storage allocate(long floats, String label) {
        open("allocate");
        return memory.allocate(floats, label);
    }

    /** Device landing buffers for {@link #uploadAsync}, so that a batch's copy overlaps the step before it. */
    @Override
    public void reserveAsyncUploads(long floats) {
        open("reserveAsyncUploads");
        queuedUploads.reserve(floats);
    }

    @Override
    protected void doUpload(Tensor dst, float[] src, int srcOffset) {
        open("upload");
        staging.upload("upload", launch.ptr("upload", "dst", dst), src, srcOffset, dst.size());
    }

    @Override
    protected void doUploadAsync(Tensor dst, float[] src, int srcOffset) {
        String op = "uploadAsync";
        open(op);
        if (!QueuedUploads.fits(dst.size())) {
            staging.upload(op, launch.ptr(op, "dst", dst), src, srcOffset, dst.size());
        } else if (dst.size() > 0) {
            queuedUploads.upload(op, launch.ptr(op, "dst", dst), src, srcOffset, (int) dst.size());
        }
    }

    @Override
    protected void doDownload(float[] dst, int dstOffset, Tensor src) {
        open("download");
        staging.download("download", dst, dstOffset, launch.ptr("download", "src", src), src.size());
    }

    @Override
    protected void doCopy(Tensor dst, Tensor src) {
        String op = "copy";
        open(op);
        DevicePointer d = launch.ptr(op, "dst", dst);
        DevicePointer s = launch.ptr(op, "src", src);
        if (src.size() > 0) {
            try {
                cuMemcpyDtoDAsync(d, s, src.size() * Float.BYTES, context.stream());
            } catch (jcuda.CudaException e) {
                throw CudaException.of(op, "cuMemcpyDtoDAsync", e);
            }
        }
    }

    @Override
    protected void doFill(Tensor dst, float value) {
        String op = "fill";
        open(op);
        int n = count(op, dst);
        if (n > 0) {
            kernels.fill(op, launch.elementwiseGrid(n), launch.ptr(op, "dst", dst), value, n);
        }
    }

    /** With graphs on: plain the first time a shape is seen, then captured once and replayed (StepGraphs). */
    @Override
    public void runStep(TrainingStep step, Runnable work) {
        open("runStep");
        if (stepGraphs == null) {
            work.run();
        } else {
            stepGraphs.run(step, work);
        }
    }

    @Override
    public void forgetSteps(Object owner) {
        open("forgetSteps");
        if (stepGraphs != null) {
            stepGraphs.forget(owner);
        }
    }

    @Override
    public void synchronize() {
        open("synchronize");
        context.synchronize("synchronize");
    }

    // ---- dense algebra --------------------------------------------------------------------------------------

    @Override
    protected void doGemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta,
                          int m, int n, int k) {
        String op = "gemm";
        open(op);
        gemm.gemm(op, launch.ptr(op, "c", c), launch.ptr(op, "a", a), transA, launch.ptr(op, "b", b), transB, 1, m, n,
                k, alpha, beta);
    }

    @Override
    protected void doGemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                 float beta, int batch, int m, int n, int k) {
        String op = "gemmBatched";
        open(op);
        gemm.gemm(op, launch.ptr(op, "c", c), launch.ptr(op, "a", a), transA, launch.ptr(op, "b", b), transB, batch, m,
                n, k, alpha, beta);
    }

    /**
     * Our FP32 engine: one kernel, bias and activation in the GEMM's epilogue. TF32 or cuBLAS: the definition, the
     * GEMM and then the fused bias-activation kernel (or kn_bias_add without an activation).
     */
    @Override
    protected void doGemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha,
                                        int m, int n, int k) {
        String op = "gemmBiasActivation";
        open(op);
        if (m == 0 || n == 0) {
            return;
        }
        if (k > 0 && gemm.gemmBiasActivation(op, launch.ptr(op, "c", c), launch.ptr(op, "a", a),
                launch.ptr(op, "b", b), launch.ptrOrNull(op, "bias", bias), m, n, k, act == null ? -1 : code(act),
                alpha)) {
            return;
        }
        super.doGemmBiasActivation(c, a, b, bias, act, alpha, m, n, k);
    }

    @Override
    protected void doBiasAdd(Tensor y, Tensor bias, int samples, int channels, int inner) {
        open("biasAdd");
        activations.biasAdd(y, bias, samples, channels, inner);
    }

    @Override
    protected void doBiasGrad(Tensor dBias, Tensor dy, int samples, int channels, int inner) {
        open("biasGrad");
        activations.biasGrad(dBias, dy, samples, channels, inner);
    }

    @Override
    protected void doBiasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha,
                                           int samples, int channels, int inner) {
        open("biasActivationForward");
        activations.biasForward(y, z, bias, act, alpha, samples, channels, inner);
    }

    @Override
    protected void doBiasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                            float alpha, int samples, int channels, int inner) {
        open("biasActivationBackward");
        activations.biasBackward(dz, dBias, dy, y, act, alpha, samples, channels, inner);
    }

    @Override
    protected void doAdd(Tensor y, Tensor a, Tensor b) {
        String op = "add";
        open(op);
        int n = count(op, y);
        if (n > 0) {
            kernels.add(op, launch.elementwiseGrid(n), launch.ptr(op, "y", y), launch.ptr(op, "a", a),
                    launch.ptr(op, "b", b), n);
        }
    }

    // ---- convolution and pooling: our kernels or cuDNN (Engine), chosen per shape at build time ------------------

    @Override
    public ConvPlan planConv2d(Conv2dGeometry g) {
        String op = "planConv2d";
        open(op);
        if (g == null) {
            throw ShapeChecks.error(op, "geometry is null");
        }
        return conv.plan(g);
    }

    /** cuBLAS's workspace under the vendor GEMM engine; our kernels need none. */
    @Override
    public long libraryWorkspaceFloats() {
        open("libraryWorkspaceFloats");
        return LaunchConfig.ceilDiv(gemm.workspaceBytes(), Float.BYTES);
    }

    @Override
    public void useWorkspace(Tensor ws) {
        String op = "useWorkspace";
        open(op);
        DevicePointer at = launch.ptrOrNull(op, "workspace", ws);
        long bytes = ws == null ? 0 : ws.size() * Float.BYTES;
        if (bytes == workspaceBytes && (at == null ? workspace == null
                : workspace != null && at.address() == workspace.address())) {
            return;  // a model claims its workspace before each step: usually the one already in use
        }
        workspace = at;
        workspaceBytes = bytes;
        gemm.useWorkspace(workspace, workspaceBytes);
    }

    @Override
    protected void doConv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        open("conv2dForward");
        conv.conv2d("conv2dForward", ConvEngine::conv2dForward, "y", y, "x", x, "w", w, g, workspace, workspaceBytes);
    }

    @Override
    protected void doConv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        open("conv2dBackwardData");
        conv.conv2d("conv2dBackwardData", ConvEngine::conv2dBackwardData, "dx", dx, "dy", dy, "w", w, g, workspace,
                workspaceBytes);
    }

    @Override
    protected void doConv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        open("conv2dBackwardFilter");
        conv.conv2d("conv2dBackwardFilter", ConvEngine::conv2dBackwardFilter, "dw", dw, "dy", dy, "x", x, g,
                workspace, workspaceBytes);
    }

    @Override
    protected void doMaxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        open("maxPool2dForward");
        conv.maxPool2dForward(y, argmax, x, g);
    }

    @Override
    protected void doMaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        open("maxPool2dBackward");
        conv.maxPool2dBackward(dx, dy, x, y, argmax, g);
    }

    @Override
    protected void doAvgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        open("avgPool2dForward");
        conv.avgPool2dForward(y, x, g);
    }

    @Override
    protected void doAvgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        open("avgPool2dBackward");
        conv.avgPool2dBackward(dx, dy, g);
    }

    // ---- activations, softmax, dropout --------------------------------------------------------------------------

    @Override
    protected void doActivationForward(Tensor y, Tensor x, Activation act, float alpha) {
        open("activationForward");
        activations.forward(y, x, act, alpha);
    }

    @Override
    protected void doActivationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        open("activationBackward");
        activations.backward(dx, dy, x, y, act, alpha);
    }

    @Override
    protected void doSoftmaxForward(Tensor y, Tensor x, boolean log, int outer, int k, int inner) {
        open(log ? "logSoftmaxForward" : "softmaxForward");
        activations.softmaxForward(y, x, log, outer, k, inner);
    }

    @Override
    protected void doSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, boolean log, int outer, int k, int inner) {
        open(log ? "logSoftmaxBackward" : "softmaxBackward");
        activations.softmaxBackward(dx, dy, y, log, outer, k, inner);
    }

    @Override
    protected void doDropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                    long offset) {
        String op = "dropoutForward";
        open(op);
        int n = count(op, x);
        // one thread per Philox block of 4 elements
        long threads = LaunchConfig.dropoutThreads(n);
        if (threads > 0) {
            kernels.dropoutForward(op, launch.elementwiseGrid(threads), launch.ptr(op, "y", y),
                    launch.ptr(op, "mask", mask), launch.ptr(op, "x", x), launch.ptr(op, "step", step), n, rate, seed,
                    offset);
        }
    }

    @Override
    protected void doDropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        String op = "dropoutBackward";
        open(op);
        int n = count(op, dy);
        if (n > 0) {
            kernels.mul(op, launch.elementwiseGrid(n), launch.ptr(op, "dx", dx), launch.ptr(op, "dy", dy),
                    launch.ptr(op, "mask", mask), n);
        }
    }

    // ---- losses: the returning variants reduce into the reducer's result and download it; the others write into
    //      the caller's one-element tensor and wait for nothing ---------------------------------------------------

    @Override
    protected float doMseLoss(Tensor dPred, Tensor pred, Tensor target) {
        open("mseLoss");
        losses.mse(null, dPred, pred, target);
        return reductions.downloadResult("mseLoss");
    }

    @Override
    protected void doMseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        open("mseLoss");
        losses.mse(launch.ptr("mseLoss", "loss", loss), dPred, pred, target);
    }

    @Override
    protected float doSoftmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels,
                                                int rows, int classes) {
        open("softmaxCrossEntropySparse");
        return losses.sparseCrossEntropyChecked(probs, dLogits, logits, labels, rows, classes);
    }

    /** Labels are not checked here (Backend javadoc): a bad one only lowers the reducer's bad-row flag, unread. */
    @Override
    protected void doSoftmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                               Tensor labels, int rows, int classes) {
        String op = "softmaxCrossEntropySparse";
        open(op);
        losses.crossEntropy(op, true, launch.ptr(op, "loss", loss), probs, dLogits, logits, labels, rows, classes);
    }

    @Override
    protected float doSoftmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets, int rows,
                                          int classes) {
        String op = "softmaxCrossEntropy";
        open(op);
        losses.crossEntropy(op, false, null, probs, dLogits, logits, targets, rows, classes);
        return reductions.downloadResult(op);
    }

    @Override
    protected void doSoftmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets,
                                         int rows, int classes) {
        String op = "softmaxCrossEntropy";
        open(op);
        losses.crossEntropy(op, false, launch.ptr(op, "loss", loss), probs, dLogits, logits, targets, rows, classes);
    }

    // ---- optimizers ---------------------------------------------------------------------------------------

    @Override
    protected void doSgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                               SgdSettings settings) {
        open("sgdUpdate");
        optimizers.sgd(param, grad, velocity, step, halt, settings);
    }

    @Override
    protected void doAdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                AdamSettings settings) {
        open("adamUpdate");
        optimizers.adam(param, grad, m, v, step, halt, settings);
    }

    // ---- reductions and metrics ---------------------------------------------------------------------------

    @Override
    protected float doSum(Tensor x) {
        open("sum");
        return reductions.sum("sum", x);
    }

    @Override
    protected void doSum(Tensor result, Tensor x) {
        open("sum");
        reductions.sum(launch.ptr("sum", "result", result), x);
    }

    /** NaN for an empty tensor, like the CPU reference. */
    @Override
    protected float doMean(Tensor x) {
        open("mean");
        return reductions.sum("mean", x) / x.size();
    }

    @Override
    protected void doArgmax(Tensor indices, Tensor x, int rows, int k) {
        open("argmax");
        reductions.argmax(indices, x, rows, k);
    }

    @Override
    protected int doAccuracyCount(Tensor scores, Tensor labels, boolean oneHot) {
        open("accuracyCount");
        reductions.correctRows(null, scores, labels, oneHot);
        return reductions.downloadCount();
    }

    @Override
    protected void doAccuracyCount(Tensor count, Tensor scores, Tensor labels, boolean oneHot) {
        open("accuracyCount");
        reductions.correctRows(launch.ptr("accuracyCount", "count", count), scores, labels, oneHot);
    }

    @Override
    protected void doFlagNonFinite(Tensor halt, Tensor x) {
        open("flagNonFinite");
        reductions.flagNonFinite(halt, x);
    }

    // ---- life cycle -----------------------------------------------------------------------------------------

    private void open(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this cuda backend (" + context.info().summary()
                    + ") was closed");
        }
        context.bind();
    }

    /**
     * Waits for queued work, frees what is still allocated (it would go with the context), then releases the
     * module, cuBLAS, cuDNN, the staging buffer, the stream and the context. Later calls throw.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> steps = List.of(
                () -> context.synchronize("close"),
                () -> {
                    if (stepGraphs != null) {
                        stepGraphs.close();
                    }
                },
                () -> {
                    // its second stream is waited for before the memory its copies land in goes
                    if (queuedUploads != null) {
                        queuedUploads.close();
                    }
                },
                () -> {
                    if (memory != null) {
                        int left = memory.freeAll();
                        log.debug("closing {}: freed {} allocation(s) still open", device, left);
                    }
                },
                () -> {
                    if (gemm != null) {
                        gemm.close();
                    }
                },
                () -> {
                    if (conv != null) {
                        conv.close();
                    }
                },
                () -> {
                    if (module != null) {
                        module.close();
                    }
                },
                () -> {
                    if (staging != null) {
                        staging.close();
                    }
                },
                context::close);
        Cleanup.runAll(steps.stream().<Runnable>map(step -> () -> {
            context.bind();
            step.run();
        }).toList());
    }
}
