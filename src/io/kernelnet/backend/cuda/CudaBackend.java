package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CUDA backend: our kernels (kernels/*.cu, kernels/CONTRACT.md) launched through the JCuda driver API on one
 * primary context and one stream; GEMM by our kernels or cuBLAS ({@link Engine}). Every call is validated by
 * {@link ShapeChecks} in the same order as the CPU reference, so both refuse a bad call with the same message.
 * Nothing falls back to the CPU: an op this backend cannot run throws.
 *
 * <p>Ops are queued asynchronously; uploads (but not {@link #uploadAsync}), downloads, returned scalars (losses,
 * sums, counts) and {@link #synchronize()} wait for the stream. Not thread-safe: one thread drives a backend at a time.
 */
public final class CudaBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(CudaBackend.class);

    private final CudaContext context;
    private final Device device;
    private final Engine engine;
    private final boolean tf32;
    private final boolean deterministic;
    private final int multiprocessors;
    private DeviceMemory memory;
    private PinnedStaging staging;
    private QueuedUploads queuedUploads;
    private KernelModule module;
    /** Typed launches of every kernel in {@link #module}. */
    private Kernels kernels;
    private ScalarReducer reducer;
    /** Training steps as CUDA graphs; null with graphs off. */
    private StepGraphs stepGraphs;
    private GemmEngine gemm;
    private KernelConv ourConv;
    /** cuDNN, opened under engines vendor and auto; null when not asked for or when it could not load. */
    private ConvEngine vendorConv;
    private String vendorConvUnavailable;
    /** Per convolution shape (batch set to 0): the engine chosen at build time, remembered for the run. */
    private final Map<Conv2dGeometry, ConvRoute> convRoutes = new HashMap<>();
    private final long workspaceLimitBytes;
    private DevicePointer workspace;
    private long workspaceBytes;
    private long ourConvCalls;
    private long vendorConvCalls;
    private long ourPoolCalls;
    private long vendorPoolCalls;
    private boolean closed;

    /** System property: the largest convolution workspace in MiB that a plan may ask for (default 256). */
    public static final String WORKSPACE_PROPERTY = "kernelnet.cuda.workspaceMiB";

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
        this.multiprocessors = info.multiprocessors();
        this.workspaceLimitBytes = Long.getLong(WORKSPACE_PROPERTY, 256) << 20;
        this.device = Device.cuda(ordinal, info.name());
        this.context = new CudaContext(info);
        try {
            memory = new DeviceMemory(context);
            staging = new PinnedStaging(context);
            queuedUploads = new QueuedUploads(context, memory);
            module = new KernelModule(context, CudaRuntime.kernelImage());
            kernels = new Kernels(module);
            reducer = new ScalarReducer(context, kernels, staging, memory);
            if (options.graphs()) {
                stepGraphs = new StepGraphs(context);
            }
            gemm = options.engine() == Engine.VENDOR ? new CublasGemm(context, tf32)
                    : new KernelGemm(kernels, multiprocessors, tf32);
            ourConv = new KernelConv(kernels, multiprocessors);
            if (info.emulated()) {
                vendorConvUnavailable = "the " + CudaRuntime.EMULATED_DEVICE_NAME + " runs no vendor library";
            } else if (engine != Engine.KERNELS) {
                try {
                    vendorConv = new CudnnConv(context, deterministic);
                } catch (IllegalStateException | CudaException e) {
                    vendorConvUnavailable = e.getMessage();
                    log.warn("cuDNN not available ({}): convolution and pooling run on our kernels",
                            vendorConvUnavailable);
                }
            }
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

    /** "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79 GiB), engine kernels" (", tf32" when on). */
    public String description() {
        return context.info().summary() + ", engine " + engine.label() + (tf32 ? ", tf32" : "")
                + (deterministic ? ", deterministic" : "") + ", conv " + convDescription();
    }

    /** "kernels", "cuDNN 9.19.0", "auto (kernels or cuDNN 9.19.0 per shape)" or "kernels (cuDNN unavailable)". */
    public String convDescription() {
        if (engine == Engine.KERNELS) {
            return ourConv.description();
        }
        if (vendorConv == null) {
            return ourConv.description() + " (cuDNN unavailable)";
        }
        return engine == Engine.VENDOR ? vendorConv.description()
                : "auto (kernels or " + vendorConv.description() + " per shape)";
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

    /** "kernels fp32", "vendor (cuBLAS 13.1.0) tf32". */
    public String gemmDescription() {
        return gemm.description();
    }

    /** Device bytes held now by this backend's allocations (storages and its one scratch buffer). */
    public long allocatedBytes() {
        return memory.allocatedBytes();
    }

    /** The most device bytes held at once. */
    public long peakAllocatedBytes() {
        return memory.peakBytes();
    }

    /** Page-locked host bytes of the staging buffers (waiting and queued uploads). */
    /** Uploads whose host-to-device copy ran on the second stream, overlapping the computation. */
    public long overlappedUploads() {
        return queuedUploads.overlapped();
    }

    /** Device landing buffers for {@link #uploadAsync}, so that a batch's copy overlaps the step before it. */
    @Override
    public void reserveAsyncUploads(long floats) {
        open("reserveAsyncUploads");
        queuedUploads.reserve(floats);
    }

    public long pinnedBytes() {
        return staging.pinnedBytes() + queuedUploads.pinnedBytes();
    }

    /** Kernels launched so far, and GEMMs run by the engine: evidence that work ran on the GPU. */
    public long kernelLaunches() {
        return module.launches();
    }

    public long gemmCalls() {
        return gemm.calls();
    }

    /** The kernel (or cuBLAS call) that ran the last GEMM, e.g. "kn_sgemm_128x128". */
    public String lastGemmKernel() {
        return gemm.lastKernel();
    }

    /** Whether training steps run as CUDA graphs ({@link CudaOptions#graphs()}). */
    public boolean graphs() {
        return stepGraphs != null;
    }

    /** Training-step graphs captured so far (0 with graphs off). */
    public long graphCaptures() {
        return stepGraphs == null ? 0 : stepGraphs.captures();
    }

    /** Training steps replayed from a graph so far (0 with graphs off). */
    public long graphReplays() {
        return stepGraphs == null ? 0 : stepGraphs.replays();
    }

    /** Why training steps of some shape run without a graph (their capture failed); empty when none. */
    public List<String> graphRefusals() {
        return stepGraphs == null ? List.of() : stepGraphs.refusals();
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

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        open("upload");
        ShapeChecks.upload(dst, src.length, srcOffset);
        staging.upload("upload", ptr("upload", "dst", dst), src, srcOffset, dst.size());
    }

    @Override
    public void uploadAsync(Tensor dst, float[] src, int srcOffset) {
        String op = "uploadAsync";
        open(op);
        ShapeChecks.upload(dst, src.length, srcOffset);
        if (!QueuedUploads.fits(dst.size())) {
            staging.upload(op, ptr(op, "dst", dst), src, srcOffset, dst.size());
        } else if (dst.size() > 0) {
            queuedUploads.upload(op, ptr(op, "dst", dst), src, srcOffset, (int) dst.size());
        }
    }

    @Override
    public void download(float[] dst, int dstOffset, Tensor src) {
        open("download");
        ShapeChecks.download(dst.length, dstOffset, src);
        staging.download("download", dst, dstOffset, ptr("download", "src", src), src.size());
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        String op = "copy";
        open(op);
        ShapeChecks.sameSize(op, "dst", dst, "src", src);
        DevicePointer d = ptr(op, "dst", dst);
        DevicePointer s = ptr(op, "src", src);
        if (src.size() > 0) {
            try {
                cuMemcpyDtoDAsync(d, s, src.size() * Float.BYTES, context.stream());
            } catch (jcuda.CudaException e) {
                throw CudaException.of(op, "cuMemcpyDtoDAsync", e);
            }
        }
    }

    @Override
    public void fill(Tensor dst, float value) {
        String op = "fill";
        open(op);
        int n = count(op, dst);
        if (n > 0) {
            kernels.fill(op, elementwiseGrid(n), ptr(op, "dst", dst), value, n);
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
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        String op = "gemm";
        open(op);
        int[] mnk = ShapeChecks.gemm(op, c, a, transA, b, transB);
        gemm.gemm(op, ptr(op, "c", c), ptr(op, "a", a), transA, ptr(op, "b", b), transB, 1, mnk[0], mnk[1], mnk[2],
                alpha, beta);
    }

    @Override
    public void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        String op = "gemmBatched";
        open(op);
        int[] bmnk = ShapeChecks.gemmBatched(op, c, a, transA, b, transB);
        gemm.gemm(op, ptr(op, "c", c), ptr(op, "a", a), transA, ptr(op, "b", b), transB, bmnk[0], bmnk[1], bmnk[2],
                bmnk[3], alpha, beta);
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        String op = "biasAdd";
        open(op);
        int[] nci = ShapeChecks.bias(op, y, bias);
        int n = count(op, y);
        if (n > 0) {
            kernels.biasAdd(op, elementwiseGrid(n), ptr(op, "y", y), ptr(op, "bias", bias), nci[0], nci[1], nci[2]);
        }
    }

    @Override
    public void biasGrad(Tensor dBias, Tensor dy) {
        String op = "biasGrad";
        open(op);
        int[] nci = ShapeChecks.bias(op, dy, dBias);
        count(op, dy);
        if (nci[1] > 0) {
            // one block per channel (kernels/CONTRACT.md): each reduces its n*inner values in a fixed order
            kernels.biasGrad(op, Grid.of(nci[1]), ptr(op, "dBias", dBias), ptr(op, "dy", dy), nci[0], nci[1], nci[2]);
        }
    }

    /**
     * Our FP32 engine: one kernel, bias and activation in the GEMM's epilogue. TF32 or cuBLAS: the GEMM, then the
     * fused bias-activation kernel (or kn_bias_add without an activation).
     */
    @Override
    public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        String op = "gemmBiasActivation";
        open(op);
        int[] mnk = ShapeChecks.gemmBiasActivation(op, c, a, b, bias, act, alpha);
        if (mnk[0] == 0 || mnk[1] == 0) {
            return;
        }
        DevicePointer biasPtr = bias == null ? null : ptr(op, "bias", bias);
        if (mnk[2] > 0 && gemm.gemmBiasActivation(op, ptr(op, "c", c), ptr(op, "a", a), ptr(op, "b", b), biasPtr,
                mnk[0], mnk[1], mnk[2], act == null ? -1 : code(act), alpha)) {
            return;
        }
        gemm.gemm(op, ptr(op, "c", c), ptr(op, "a", a), false, ptr(op, "b", b), false, 1, mnk[0], mnk[1], mnk[2], 1f,
                0f);
        if (act != null) {
            biasActivationForward(c, c, bias, act, alpha);
        } else if (bias != null) {
            biasAdd(c, bias);
        }
    }

    @Override
    public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        String op = "biasActivationForward";
        open(op);
        int[] nci = ShapeChecks.biasActivation(op, "y", y, "z", z, bias, act, alpha);
        DevicePointer biasPtr = bias == null ? null : ptr(op, "bias", bias);
        int n = count(op, y);
        if (n > 0) {
            kernels.biasActivationForward(op, elementwiseGrid(n), ptr(op, "y", y), ptr(op, "z", z), biasPtr, nci[0],
                    nci[1], nci[2], code(act), alpha);
        }
    }

    /**
     * Without a bias, the activation backward alone (y standing in for z: the ReLUs' y > 0 exactly when z > 0).
     * With one, kn_bias_activation_backward over (channels, splits), the splits' partial sums in the reducer's
     * scratch and added in order by kn_conv2d_sum_splits (kernels/CONTRACT.md).
     */
    @Override
    public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
        String op = "biasActivationBackward";
        open(op);
        ShapeChecks.sameShape(op, "dz", dz, "dy", dy);
        int[] nci = ShapeChecks.biasActivation(op, "dy", dy, "y", y, dBias, act, alpha);
        int n = count(op, dy);
        if (dBias == null) {
            if (n > 0) {
                kernels.activationBackward(op, elementwiseGrid(n), ptr(op, "dz", dz), ptr(op, "dy", dy),
                        ptr(op, "y", y), ptr(op, "y", y), n, code(act), alpha);
            }
            return;
        }
        if (nci[1] == 0) {
            return;
        }
        if (nci[0] == 0) {
            fill(dBias, 0f);
            return;
        }
        LaunchConfig.BiasSplit split = LaunchConfig.biasSplit(nci[0], nci[1], nci[2], multiprocessors,
                ScalarReducer.MAX_PARTIALS);
        DevicePointer out = split.splits() == 1 ? ptr(op, "dBias", dBias)
                : reducer.partials(op, (long) split.splits() * nci[1], "the bias gradient's splits");
        kernels.biasActivationBackward(op, new Grid(nci[1], split.splits(), 1), ptr(op, "dz", dz), out,
                ptr(op, "dy", dy), ptr(op, "y", y), nci[0], nci[1], nci[2], code(act), alpha, split.samplesPerSplit());
        if (split.splits() > 1) {
            kernels.conv2dSumSplits(op, elementwiseGrid(nci[1]), ptr(op, "dBias", dBias), out, nci[1],
                    split.splits());
        }
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        String op = "add";
        open(op);
        ShapeChecks.sameShape(op, "a", a, "b", b);
        ShapeChecks.sameShape(op, "y", y, "a", a);
        int n = count(op, y);
        if (n > 0) {
            kernels.add(op, elementwiseGrid(n), ptr(op, "y", y), ptr(op, "a", a), ptr(op, "b", b), n);
        }
    }

    // ---- convolution and pooling: our kernels or cuDNN (Engine), chosen per shape at build time ------------------

    /** Build-time planning: which engine computes convolutions of this shape, and the scratch it needs. */
    @Override
    public ConvPlan planConv2d(Conv2dGeometry g) {
        String op = "planConv2d";
        open(op);
        if (g == null) {
            throw ShapeChecks.error(op, "geometry is null");
        }
        ConvRoute route = decide(g, true);
        convRoutes.put(g.withBatch(0), route);
        return new ConvPlan(LaunchConfig.ceilDiv(route.workspaceBytes(), Float.BYTES), route.description());
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
        DevicePointer at = ws == null ? null : ptr(op, "workspace", ws);
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
    public void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        String op = "conv2dForward";
        open(op);
        ShapeChecks.conv2d(op, y, x, w, g);
        countAll(op, y, x, w);
        ConvEngine e = convEngine(g);
        e.conv2dForward(ptr(op, "y", y), ptr(op, "x", x), ptr(op, "w", w), g, workspace, workspaceBytes);
        countConv(e);
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        String op = "conv2dBackwardData";
        open(op);
        ShapeChecks.conv2d(op, dy, dx, w, g);
        countAll(op, dy, dx, w);
        ConvEngine e = convEngine(g);
        e.conv2dBackwardData(ptr(op, "dx", dx), ptr(op, "dy", dy), ptr(op, "w", w), g, workspace, workspaceBytes);
        countConv(e);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        String op = "conv2dBackwardFilter";
        open(op);
        ShapeChecks.conv2d(op, dy, x, dw, g);
        countAll(op, dy, x, dw);
        ConvEngine e = convEngine(g);
        e.conv2dBackwardFilter(ptr(op, "dw", dw), ptr(op, "dy", dy), ptr(op, "x", x), g, workspace, workspaceBytes);
        countConv(e);
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        String op = "maxPool2dForward";
        open(op);
        ShapeChecks.pool2d(op, y, x, g);
        ShapeChecks.shapeIs(op, "argmax", argmax, g.outputShape());
        countAll(op, y, x);
        ConvEngine e = poolEngine(g);
        e.maxPool2dForward(ptr(op, "y", y), ptr(op, "argmax", argmax), ptr(op, "x", x), g);
        countPool(e);
    }

    /** As the CPU reference, except that argmax values are not validated (an index outside the plane never matches). */
    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        String op = "maxPool2dBackward";
        open(op);
        ShapeChecks.maxPool2dBackward(op, dx, dy, x, y, argmax, g);
        countAll(op, dx, dy);
        ConvEngine e = poolEngine(g);
        e.maxPool2dBackward(ptr(op, "dx", dx), ptr(op, "dy", dy), ptr(op, "x", x), ptr(op, "y", y),
                ptr(op, "argmax", argmax), g);
        countPool(e);
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        String op = "avgPool2dForward";
        open(op);
        ShapeChecks.pool2d(op, y, x, g);
        countAll(op, y, x);
        ConvEngine e = poolEngine(g);
        e.avgPool2dForward(ptr(op, "y", y), ptr(op, "x", x), g);
        countPool(e);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        String op = "avgPool2dBackward";
        open(op);
        ShapeChecks.pool2d(op, dy, dx, g);
        countAll(op, dx, dy);
        ConvEngine e = poolEngine(g);
        e.avgPool2dBackward(ptr(op, "dx", dx), ptr(op, "dy", dy), g);
        countPool(e);
    }

    /** Convolution calls run by our kernels ({@link Engine#KERNELS}) or by cuDNN ({@link Engine#VENDOR}). */
    public long convCalls(Engine which) {
        return which == Engine.VENDOR ? vendorConvCalls : which == Engine.KERNELS ? ourConvCalls : 0;
    }

    /** Pooling calls run by our kernels or by cuDNN. */
    public long poolCalls(Engine which) {
        return which == Engine.VENDOR ? vendorPoolCalls : which == Engine.KERNELS ? ourPoolCalls : 0;
    }

    /** Whether pooling runs on cuDNN where it can express the padding: engine vendor, and cuDNN loaded. */
    public boolean poolsWithCudnn() {
        return engine == Engine.VENDOR && vendorConv != null;
    }

    /** Whether the cuDNN engine is open (engine vendor or auto, and it loaded). */
    public boolean vendorConvAvailable() {
        return vendorConv != null;
    }

    /** Why the cuDNN engine is not open, or null. */
    public String vendorConvUnavailableReason() {
        return vendorConvUnavailable;
    }

    /** What convolutions of this shape (any batch) run on: the planned route, or null before any plan or call. */
    public String convChoice(Conv2dGeometry g) {
        ConvRoute r = convRoutes.get(g.withBatch(0));
        return r == null ? null : r.description();
    }

    /** The engine for a convolution shape: as planned at build time; planned now (untimed) when it was not. */
    private ConvEngine convEngine(Conv2dGeometry g) {
        return convRoutes.computeIfAbsent(g.withBatch(0), key -> decide(g, false)).engine();
    }

    /**
     * Pooling: cuDNN under engine vendor when it loaded and can express the padding (it pads symmetrically only),
     * otherwise our kernels; a function of the geometry, so a max-pool's backward runs where its forward ran.
     */
    private ConvEngine poolEngine(Pool2dGeometry g) {
        return poolsWithCudnn() && CudnnConv.supports(g) ? vendorConv : ourConv;
    }

    private void countConv(ConvEngine e) {
        if (e == ourConv) {
            ourConvCalls++;
        } else {
            vendorConvCalls++;
        }
    }

    private void countPool(ConvEngine e) {
        if (e == ourConv) {
            ourPoolCalls++;
        } else {
            vendorPoolCalls++;
        }
    }

    private static void countAll(String op, Tensor... tensors) {
        for (Tensor t : tensors) {
            count(op, t);
        }
    }

    /** A decision for one convolution shape: who, the scratch bytes it wants, and why (for summary()). */
    record ConvRoute(ConvEngine engine, long workspaceBytes, String description) {
    }

    /**
     * KERNELS: ours. VENDOR: cuDNN unless it did not load or refuses the shape (then ours, and the description says
     * why). AUTO: both timed on this shape when {@code timed} (build time), the faster wins; untimed or
     * deterministic, ours.
     */
    private ConvRoute decide(Conv2dGeometry g, boolean timed) {
        ConvEngine.ConvChoice ours = ourConv.plan(g, workspaceLimitBytes);
        String oursText = "kernels: " + ours.description();
        if (engine == Engine.KERNELS) {
            return new ConvRoute(ourConv, ours.workspaceBytes(), oursText);
        }
        if (vendorConv == null) {
            return new ConvRoute(ourConv, ours.workspaceBytes(), oursText + " (cuDNN unavailable)");
        }
        ConvEngine.ConvChoice theirs;
        try {
            theirs = vendorConv.plan(g, workspaceLimitBytes);
        } catch (UnsupportedOperationException e) {
            log.info("conv {}: cuDNN cannot run this shape ({}); our kernels will", shapeText(g), e.getMessage());
            return new ConvRoute(ourConv, ours.workspaceBytes(), oursText + " (cuDNN: " + e.getMessage() + ")");
        }
        String theirsText = "vendor: " + theirs.description();
        if (engine == Engine.VENDOR) {
            return new ConvRoute(vendorConv, theirs.workspaceBytes(), theirsText);
        }
        if (!timed || g.n() == 0) {
            return new ConvRoute(ourConv, ours.workspaceBytes(), oursText + " (not timed)");
        }
        if (deterministic) {
            // a choice by timing could differ from run to run, and the bits with it
            return new ConvRoute(ourConv, ours.workspaceBytes(), oursText + " (deterministic: not timed)");
        }
        double[] ms = timeBoth(g, ours, theirs);
        boolean vendorWins = ms[1] < ms[0];
        String text = String.format(Locale.ROOT, "%s (%.3f ms vs %s %.3f ms per fwd+bwd)",
                vendorWins ? theirsText : oursText, vendorWins ? ms[1] : ms[0], vendorWins ? "kernels" : "cuDNN",
                vendorWins ? ms[0] : ms[1]);
        log.info("conv {}: {}", shapeText(g), text);
        return vendorWins ? new ConvRoute(vendorConv, theirs.workspaceBytes(), text)
                : new ConvRoute(ourConv, ours.workspaceBytes(), text);
    }

    static String shapeText(Conv2dGeometry g) {
        return g.inputShape() + " * " + g.weightShape() + " stride " + g.strideH() + "x" + g.strideW() + " pad "
                + g.pad().top() + "/" + g.pad().bottom() + "/" + g.pad().left() + "/" + g.pad().right()
                + " dilation " + g.dilationH() + "x" + g.dilationW();
    }

    /** Runs per engine while timing the forward and both backward passes. */
    static final int TIMED_RUNS = 5;

    /**
     * Median milliseconds of forward + backward-data + backward-filter for {ours, cuDNN} on buffers of this shape,
     * allocated here (build time) and freed before returning; CUDA events, one warm-up run each.
     */
    private double[] timeBoth(Conv2dGeometry g, ConvEngine.ConvChoice ours, ConvEngine.ConvChoice theirs) {
        long x = align64(g.inputShape().size());
        long w = align64(g.weightShape().size());
        long y = align64(g.outputShape().size());
        long wsBytes = Math.max(ours.workspaceBytes(), theirs.workspaceBytes());
        long ws = align64(LaunchConfig.ceilDiv(wsBytes, Float.BYTES));
        // x, w, y and their gradients, the workspace
        CudaStorage s = memory.allocate(2 * (x + w + y) + ws, "conv timing " + shapeText(g));
        try (EventTimer timer = new EventTimer(context)) {
            DevicePointer px = s.at(0);
            DevicePointer pw = s.at(x);
            DevicePointer py = s.at(x + w);
            DevicePointer pdx = s.at(x + w + y);
            DevicePointer pdw = s.at(2 * x + w + y);
            DevicePointer pdy = s.at(2 * x + 2 * w + y);
            DevicePointer pws = ws > 0 ? s.at(2 * (x + w + y)) : null;
            long total = 2 * (x + w + y) + ws;
            kernels.fill("conv timing", elementwiseGrid(total), s.at(0), 0.5f,
                    (int) Math.min(total, Integer.MAX_VALUE));
            double[] result = new double[2];
            ConvEngine[] engines = {ourConv, vendorConv};
            for (int e = 0; e < 2; e++) {
                ConvEngine engineUnderTest = engines[e];
                double[] runs = new double[TIMED_RUNS];
                for (int r = -1; r < TIMED_RUNS; r++) {
                    timer.start();
                    engineUnderTest.conv2dForward(py, px, pw, g, pws, ws * Float.BYTES);
                    engineUnderTest.conv2dBackwardData(pdx, pdy, pw, g, pws, ws * Float.BYTES);
                    engineUnderTest.conv2dBackwardFilter(pdw, pdy, px, g, pws, ws * Float.BYTES);
                    float ms = timer.stopMillis();
                    if (r >= 0) {
                        runs[r] = ms;
                    }
                }
                result[e] = median(runs);
            }
            return result;
        } finally {
            context.synchronize("conv timing");
            s.close();
        }
    }

    /** 64 floats: the graph layer's alignment. */
    private static long align64(long floats) {
        return (floats + 63) / 64 * 64;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    // ---- activations --------------------------------------------------------------------------------------

    @Override
    public void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        String op = "activationForward";
        open(op);
        ShapeChecks.sameShape(op, "y", y, "x", x);
        int n = count(op, x);
        if (n > 0) {
            kernels.activationForward(op, elementwiseGrid(n), ptr(op, "y", y), ptr(op, "x", x), n, code(act), alpha);
        }
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        String op = "activationBackward";
        open(op);
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        boolean fromInput = act == Activation.RELU || act == Activation.LEAKY_RELU;
        ShapeChecks.sameShape(op, "dy", dy, fromInput ? "x" : "y", fromInput ? x : y);
        int n = count(op, dy);
        // the tensor this activation does not read may be null: the kernel gets NULL for it
        DevicePointer xPtr = fromInput ? ptr(op, "x", x) : null;
        DevicePointer yPtr = fromInput ? null : ptr(op, "y", y);
        if (n > 0) {
            kernels.activationBackward(op, elementwiseGrid(n), ptr(op, "dx", dx), ptr(op, "dy", dy), xPtr, yPtr, n,
                    code(act), alpha);
        }
    }

    /** The kernels' activation codes (kernels/CONTRACT.md), independent of the enum's declaration order. */
    static int code(Activation act) {
        return switch (act) {
            case RELU -> 0;
            case LEAKY_RELU -> 1;
            case SIGMOID -> 2;
            case TANH -> 3;
        };
    }

    @Override
    public void softmaxForward(Tensor y, Tensor x, int axis) {
        softmaxFamilyForward("softmaxForward", false, y, x, axis);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        softmaxFamilyBackward("softmaxBackward", false, dx, dy, y, axis);
    }

    @Override
    public void logSoftmaxForward(Tensor y, Tensor x, int axis) {
        softmaxFamilyForward("logSoftmaxForward", true, y, x, axis);
    }

    @Override
    public void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        softmaxFamilyBackward("logSoftmaxBackward", true, dx, dy, y, axis);
    }

    /** The last axis (inner 1) by the row kernels, a warp per line; any other by the axis kernels, one thread each. */
    private void softmaxFamilyForward(String op, boolean log, Tensor y, Tensor x, int axis) {
        open(op);
        int[] oki = ShapeChecks.softmaxAxis(op, "x", x, axis);
        ShapeChecks.sameShape(op, "y", y, "x", x);
        count(op, x);
        long lines = (long) oki[0] * oki[2];
        if (lines == 0) {
            return;
        }
        DevicePointer py = ptr(op, "y", y);
        DevicePointer px = ptr(op, "x", x);
        if (oki[2] != 1) {
            kernels.softmaxAxisForward(op, elementwiseGrid(lines), py, px, oki[0], oki[1], oki[2], log ? 1 : 0);
        } else if (log) {
            kernels.logSoftmaxForward(op, rowGrid(oki[0]), py, px, oki[0], oki[1]);
        } else {
            kernels.softmaxForward(op, rowGrid(oki[0]), py, px, oki[0], oki[1]);
        }
    }

    private void softmaxFamilyBackward(String op, boolean log, Tensor dx, Tensor dy, Tensor y, int axis) {
        open(op);
        int[] oki = ShapeChecks.softmaxAxis(op, "y", y, axis);
        ShapeChecks.sameShape(op, "dy", dy, "y", y);
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        count(op, y);
        long lines = (long) oki[0] * oki[2];
        if (lines == 0) {
            return;
        }
        DevicePointer pdx = ptr(op, "dx", dx);
        DevicePointer pdy = ptr(op, "dy", dy);
        DevicePointer py = ptr(op, "y", y);
        if (oki[2] != 1) {
            kernels.softmaxAxisBackward(op, elementwiseGrid(lines), pdx, pdy, py, oki[0], oki[1], oki[2],
                    log ? 1 : 0);
        } else if (log) {
            kernels.logSoftmaxBackward(op, rowGrid(oki[0]), pdx, pdy, py, oki[0], oki[1]);
        } else {
            kernels.softmaxBackward(op, rowGrid(oki[0]), pdx, pdy, py, oki[0], oki[1]);
        }
    }

    // ---- dropout ------------------------------------------------------------------------------------------

    @Override
    public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
        String op = "dropoutForward";
        open(op);
        ShapeChecks.unitInterval(op, "rate", rate);
        ShapeChecks.sameShape(op, "y", y, "x", x);
        ShapeChecks.sameShape(op, "mask", mask, "x", x);
        ShapeChecks.stepScalars(op, step);
        int n = count(op, x);
        // one thread per Philox block of 4 elements
        long threads = LaunchConfig.dropoutThreads(n);
        if (threads > 0) {
            kernels.dropoutForward(op, elementwiseGrid(threads), ptr(op, "y", y), ptr(op, "mask", mask),
                    ptr(op, "x", x), ptr(op, "step", step), n, rate, seed, offset);
        }
    }

    @Override
    public void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        String op = "dropoutBackward";
        open(op);
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        ShapeChecks.sameShape(op, "mask", mask, "dy", dy);
        int n = count(op, dy);
        if (n > 0) {
            kernels.mul(op, elementwiseGrid(n), ptr(op, "dx", dx), ptr(op, "dy", dy), ptr(op, "mask", mask), n);
        }
    }

    // ---- losses: the returning variants reduce into the reducer's result and download it; the others write into
    //      the caller's one-element tensor and wait for nothing ---------------------------------------------------

    @Override
    public float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
        String op = "mseLoss";
        mse(op, () -> reducer.result(), dPred, pred, target);
        return reducer.downloadResult(op)[0];
    }

    @Override
    public void mseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        String op = "mseLoss";
        mse(op, () -> scalarPtr(op, "loss", loss), dPred, pred, target);
    }

    /** {@code out}: the one-element output, resolved after open() so that both variants refuse alike. */
    private void mse(String op, Supplier<DevicePointer> out, Tensor dPred, Tensor pred, Tensor target) {
        open(op);
        DevicePointer result = out.get();
        ShapeChecks.sameShape(op, "pred", pred, "target", target);
        ShapeChecks.sameShape(op, "dPred", dPred, "pred", pred);
        int n = count(op, pred);
        if (n == 0) {
            fillScalar(op, result, Float.NaN);
            return;
        }
        int blocks = LaunchConfig.mseGrid(n, multiprocessors);
        DevicePointer partials = reducer.partials(op, blocks, "the squared errors");
        kernels.mse(op, Grid.of(blocks), ptr(op, "dPred", dPred), partials, ptr(op, "pred", pred),
                ptr(op, "target", target), n);
        reducer.reduceInto(op, result, partials, blocks, n);
    }

    @Override
    public float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        String op = "softmaxCrossEntropySparse";
        open(op);
        reducer.resetBadRow(op);
        int k = crossEntropy(op, true, () -> reducer.result(), probs, dLogits, logits, labels);
        float[] meanAndFlag = reducer.downloadResult(op);
        int badRow = ScalarReducer.badRowOf(meanAndFlag);
        if (badRow != Integer.MAX_VALUE) {
            float label = staging.downloadSmall(op, ptr(op, "labels", labels).plusBytes((long) badRow * Float.BYTES),
                    1)[0];
            throw badLabel(op, badRow, label, k);
        }
        return meanAndFlag[0];
    }

    /** Labels are not checked here (Backend javadoc): a bad one only lowers the reducer's bad-row flag, unread. */
    @Override
    public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        String op = "softmaxCrossEntropySparse";
        crossEntropy(op, true, () -> scalarPtr(op, "loss", loss), probs, dLogits, logits, labels);
    }

    /**
     * The IllegalArgumentException that {@link ShapeChecks#labels} gives for this label at this row, produced by
     * ShapeChecks itself (over valid labels up to the bad one) so that both backends word it identically.
     */
    static IllegalArgumentException badLabel(String op, int row, float label, int classes) {
        float[] upToBad = new float[row + 1];
        upToBad[row] = label;
        try {
            ShapeChecks.labels(op, upToBad, classes);
        } catch (IllegalArgumentException e) {
            return e;
        }
        throw new IllegalStateException(op + ": the kernel flagged label " + label + " at row " + row
                + " but it is a valid class index in [0, " + classes + ")");
    }

    @Override
    public float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        String op = "softmaxCrossEntropy";
        crossEntropy(op, false, () -> reducer.result(), probs, dLogits, logits, targets);
        return reducer.downloadResult(op)[0];
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        String op = "softmaxCrossEntropy";
        crossEntropy(op, false, () -> scalarPtr(op, "loss", loss), probs, dLogits, logits, targets);
    }

    /**
     * Either cross-entropy kernel (sparse: class-index labels), its mean loss reduced into {@code out}; returns the
     * number of classes.
     */
    private int crossEntropy(String op, boolean sparse, Supplier<DevicePointer> out, Tensor probs, Tensor dLogits,
                             Tensor logits, Tensor targets) {
        open(op);
        DevicePointer result = out.get();
        int[] nk = ShapeChecks.softmaxCrossEntropy(op, probs, dLogits, logits, targets, sparse);
        int n = nk[0];
        count(op, logits);
        if (n == 0) {
            fillScalar(op, result, Float.NaN);
            return nk[1];
        }
        int blocks = LaunchConfig.rowGrid(n);
        DevicePointer partials = reducer.partials(op, blocks, n + " rows");
        DevicePointer p = ptr(op, "probs", probs);
        DevicePointer d = ptr(op, "dLogits", dLogits);
        DevicePointer z = ptr(op, "logits", logits);
        if (sparse) {
            kernels.softmaxXentSparse(op, Grid.of(blocks), p, d, partials, reducer.badRow(), z,
                    ptr(op, "labels", targets), n, nk[1]);
        } else {
            kernels.softmaxXentDense(op, Grid.of(blocks), p, d, partials, z, ptr(op, "targets", targets), n, nk[1]);
        }
        reducer.reduceInto(op, result, partials, blocks, n);
        return nk[1];
    }

    // ---- optimizers ---------------------------------------------------------------------------------------

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                          SgdSettings settings) {
        String op = "sgdUpdate";
        open(op);
        boolean withMomentum = ShapeChecks.sgd(param, grad, velocity, step, settings);
        DevicePointer haltPtr = haltPtr(op, halt);
        int n = count(op, param);
        DevicePointer vel = withMomentum ? ptr(op, "velocity", velocity) : null;
        if (n > 0) {
            kernels.sgd(op, elementwiseGrid(n), ptr(op, "param", param), ptr(op, "grad", grad), vel,
                    ptr(op, "step", step), haltPtr, n, settings.momentum(), settings.nesterov() ? 1 : 0,
                    settings.weightDecay(), settings.decoupled() ? 1 : 0);
        }
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                           AdamSettings settings) {
        String op = "adamUpdate";
        open(op);
        ShapeChecks.adam(param, grad, m, v, step);
        DevicePointer haltPtr = haltPtr(op, halt);
        int n = count(op, param);
        if (n > 0) {
            kernels.adam(op, elementwiseGrid(n), ptr(op, "param", param), ptr(op, "grad", grad), ptr(op, "m", m),
                    ptr(op, "v", v), ptr(op, "step", step), haltPtr, n, settings.beta1(), settings.beta2(),
                    settings.epsilon(), settings.epsilonPlacement() == AdamEpsilon.KERAS ? 1 : 0,
                    settings.weightDecay(), settings.decoupled() ? 1 : 0);
        }
    }

    private DevicePointer haltPtr(String op, Tensor halt) {
        return halt == null ? null : scalarPtr(op, "halt", halt);
    }

    // ---- reductions and metrics ---------------------------------------------------------------------------

    @Override
    public float sum(Tensor x) {
        String op = "sum";
        open(op);
        int n = count(op, x);
        return reducer.sum(op, ptr(op, "x", x), n);
    }

    @Override
    public void sum(Tensor result, Tensor x) {
        String op = "sum";
        open(op);
        DevicePointer out = scalarPtr(op, "result", result);
        int n = count(op, x);
        if (n == 0) {
            fillScalar(op, out, 0f);
        } else {
            reducer.reduceInto(op, out, ptr(op, "x", x), n, 1f);
        }
    }

    /** NaN for an empty tensor, like the CPU reference. */
    @Override
    public float mean(Tensor x) {
        String op = "mean";
        open(op);
        int n = count(op, x);
        return reducer.sum(op, ptr(op, "x", x), n) / n;
    }

    @Override
    public void argmax(Tensor indices, Tensor x) {
        String op = "argmax";
        open(op);
        int[] nk = ShapeChecks.rows(op, x);
        ShapeChecks.shapeIs(op, "indices", indices, Shape.of(nk[0]));
        count(op, x);
        if (nk[0] > 0) {
            kernels.argmaxRows(op, rowGrid(nk[0]), ptr(op, "indices", indices), ptr(op, "x", x), nk[0], nk[1]);
        }
    }

    /**
     * As the CPU reference, except that class-index labels are not range-checked here (that would cost a download
     * of the labels per call): a label outside [0, k) simply never matches.
     */
    @Override
    public int accuracyCount(Tensor scores, Tensor labels) {
        String op = "accuracyCount";
        correctRows(op, () -> reducer.result(), scores, labels);
        // partial counts are small integers, exact in float up to 2^24 rows
        return Math.round(reducer.downloadResult(op)[0]);
    }

    @Override
    public void accuracyCount(Tensor count, Tensor scores, Tensor labels) {
        String op = "accuracyCount";
        correctRows(op, () -> scalarPtr(op, "count", count), scores, labels);
    }

    private void correctRows(String op, Supplier<DevicePointer> out, Tensor scores, Tensor labels) {
        open(op);
        DevicePointer result = out.get();
        boolean oneHot = ShapeChecks.accuracy(scores, labels);
        int n = scores.dim(0);
        count(op, scores);
        if (n == 0) {
            fillScalar(op, result, 0f);
            return;
        }
        int blocks = LaunchConfig.rowGrid(n);
        DevicePointer partials = reducer.partials(op, blocks, n + " rows");
        kernels.accuracy(op, Grid.of(blocks), partials, ptr(op, "scores", scores), ptr(op, "labels", labels), n,
                scores.dim(1), oneHot ? 1 : 0);
        reducer.reduceInto(op, result, partials, blocks, 1f);
    }

    @Override
    public void flagNonFinite(Tensor halt, Tensor x) {
        String op = "flagNonFinite";
        open(op);
        DevicePointer flag = scalarPtr(op, "halt", halt);
        ShapeChecks.notNull(op, "x", x);
        int n = count(op, x);
        if (n > 0) {
            kernels.flagNonfinite(op, elementwiseGrid(n), flag, ptr(op, "x", x), n);
        }
    }

    // ---- plumbing -----------------------------------------------------------------------------------------

    private void open(String op) {
        if (closed) {
            throw new IllegalStateException(op + ": this cuda backend (" + context.info().summary()
                    + ") was closed");
        }
        context.bind();
    }

    /** The device address of a tensor, which must live in a storage of this backend. */
    private DevicePointer ptr(String op, String arg, Tensor t) {
        ShapeChecks.notNull(op, arg, t);
        if (!(t.storage() instanceof CudaStorage s) || !memory.owns(s)) {
            throw ShapeChecks.error(op, arg + " '" + t.name() + "' lives on " + t.device()
                    + ", not in memory of this backend (" + device + ")");
        }
        return s.at(t.offset());
    }

    /** The device address of a one-element output. */
    private DevicePointer scalarPtr(String op, String arg, Tensor t) {
        ShapeChecks.scalar(op, arg, t);
        return ptr(op, arg, t);
    }

    private void fillScalar(String op, DevicePointer out, float value) {
        kernels.fill(op, Grid.of(1), out, value, 1);
    }

    /** Kernels index elements with int. */
    private static int count(String op, Tensor t) {
        if (t.size() > Integer.MAX_VALUE) {
            throw ShapeChecks.error(op, "'" + t.name() + "' " + t.shape() + " has " + t.size()
                    + " elements, more than the kernels' int indices reach");
        }
        return (int) t.size();
    }

    /** The grid of an elementwise kernel over n > 0 elements (kernels/CONTRACT.md). */
    private Grid elementwiseGrid(long n) {
        return Grid.of(LaunchConfig.elementwiseGrid(n, multiprocessors));
    }

    /** The grid of a row kernel over rows > 0 rows. */
    private static Grid rowGrid(int rows) {
        return Grid.of(LaunchConfig.rowGrid(rows));
    }

    /**
     * Waits for queued work, frees what is still allocated (it would go with the context), then releases the
     * module, cuBLAS, the staging buffer, the stream and the context. Later calls throw.
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
                    if (vendorConv != null) {
                        vendorConv.close();
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
