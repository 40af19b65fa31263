package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.countAll;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who computes the CUDA backend's convolutions and poolings, our kernels ({@link KernelConv}) or cuDNN
 * ({@link CudnnConv}), by {@link Engine}: per convolution shape, decided once when the graph layer plans it (under
 * {@code auto}, both timed on that shape), and per pooling geometry; and the calls each engine ran.
 */
final class ConvRouter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConvRouter.class);
    /** Runs per engine while timing the forward and both backward passes. */
    static final int TIMED_RUNS = 5;

    private final CudaContext context;
    private final DeviceMemory memory;
    private final KernelLauncher launch;
    private final Engine engine;
    private final boolean deterministic;
    private final long workspaceLimitBytes;
    private final KernelConv ours;
    /** cuDNN, opened under engines vendor and auto; null when not asked for or when it could not load. */
    private final ConvEngine vendor;
    private final String vendorUnavailable;
    /** Per convolution shape (batch set to 0): the engine chosen at build time, remembered for the run. */
    private final Map<Conv2dGeometry, ConvRoute> routes = new HashMap<>();
    private long ourConvCalls;
    private long vendorConvCalls;
    private long ourPoolCalls;
    private long vendorPoolCalls;

    /** A decision for one convolution shape: who, the scratch bytes it wants, and why (for summary()). */
    record ConvRoute(ConvEngine engine, long workspaceBytes, String description) {
    }

    ConvRouter(CudaContext context, DeviceMemory memory, KernelLauncher launch, CudaOptions options,
               long workspaceLimitBytes) {
        this.context = context;
        this.memory = memory;
        this.launch = launch;
        this.engine = options.engine();
        this.deterministic = options.deterministic();
        this.workspaceLimitBytes = workspaceLimitBytes;
        this.ours = new KernelConv(launch.kernels, launch.multiprocessors());
        ConvEngine cudnn = null;
        String unavailable = null;
        if (context.info().emulated()) {
            unavailable = "the " + CudaRuntime.EMULATED_DEVICE_NAME + " runs no vendor library";
        } else if (engine != Engine.KERNELS) {
            try {
                cudnn = new CudnnConv(context, deterministic);
            } catch (IllegalStateException | CudaException e) {
                unavailable = e.getMessage();
                log.warn("cuDNN not available ({}): convolution and pooling run on our kernels", unavailable);
            }
        }
        this.vendor = cudnn;
        this.vendorUnavailable = unavailable;
    }

    /** "kernels", "cuDNN 9.19.0", "auto (kernels or cuDNN 9.19.0 per shape)" or "kernels (cuDNN unavailable)". */
    String description() {
        if (engine == Engine.KERNELS) {
            return ours.description();
        }
        if (vendor == null) {
            return ours.description() + " (cuDNN unavailable)";
        }
        return engine == Engine.VENDOR ? vendor.description() : "auto (kernels or " + vendor.description()
                + " per shape)";
    }

    /** Build-time planning: which engine computes convolutions of this shape, and the scratch it needs. */
    ConvPlan plan(Conv2dGeometry g) {
        ConvRoute route = decide(g, true);
        routes.put(g.withBatch(0), route);
        return new ConvPlan(LaunchConfig.ceilDiv(route.workspaceBytes(), Float.BYTES), route.description());
    }

    /** A pass of a convolution engine: {@code ConvEngine::conv2dForward} and the two backward ones. */
    interface ConvPass {
        void run(ConvEngine engine, DevicePointer out, DevicePointer a, DevicePointer b, Conv2dGeometry g,
                 DevicePointer workspace, long workspaceBytes);
    }

    /** One convolution pass of {@code op} (output, then its two inputs) on the engine planned for g, counted. */
    void conv2d(String op, ConvPass pass, String outArg, Tensor out, String aArg, Tensor a, String bArg, Tensor b,
                Conv2dGeometry g, DevicePointer ws, long wsBytes) {
        countAll(op, out, a, b);
        ConvEngine e = convEngine(g);
        pass.run(e, launch.ptr(op, outArg, out), launch.ptr(op, aArg, a), launch.ptr(op, bArg, b), g, ws, wsBytes);
        countConv(e);
    }

    void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        String op = "maxPool2dForward";
        pool(op, g, e -> e.maxPool2dForward(launch.ptr(op, "y", y), launch.ptr(op, "argmax", argmax),
                launch.ptr(op, "x", x), g), y, x);
    }

    /** As the CPU reference, except that argmax values are not validated (an index outside the plane never matches). */
    void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        String op = "maxPool2dBackward";
        pool(op, g, e -> e.maxPool2dBackward(launch.ptr(op, "dx", dx), launch.ptr(op, "dy", dy),
                launch.ptr(op, "x", x), launch.ptr(op, "y", y), launch.ptr(op, "argmax", argmax), g), dx, dy);
    }

    void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        String op = "avgPool2dForward";
        pool(op, g, e -> e.avgPool2dForward(launch.ptr(op, "y", y), launch.ptr(op, "x", x), g), y, x);
    }

    void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        String op = "avgPool2dBackward";
        pool(op, g, e -> e.avgPool2dBackward(launch.ptr(op, "dx", dx), launch.ptr(op, "dy", dy), g), dx, dy);
    }

    /** A pooling pass on the engine for g, counted; {@code planes}: the tensors whose size the kernels index. */
    private void pool(String op, Pool2dGeometry g, Consumer<ConvEngine> pass, Tensor... planes) {
        countAll(op, planes);
        ConvEngine e = poolEngine(g);
        pass.accept(e);
        countPool(e);
    }

    /** Convolution calls run by our kernels ({@link Engine#KERNELS}) or by cuDNN ({@link Engine#VENDOR}). */
    long convCalls(Engine which) {
        return which == Engine.VENDOR ? vendorConvCalls : which == Engine.KERNELS ? ourConvCalls : 0;
    }

    /** Pooling calls run by our kernels or by cuDNN. */
    long poolCalls(Engine which) {
        return which == Engine.VENDOR ? vendorPoolCalls : which == Engine.KERNELS ? ourPoolCalls : 0;
    }

    /** Whether pooling runs on cuDNN where it can express the padding: engine vendor, and cuDNN loaded. */
    boolean poolsWithCudnn() {
        return engine == Engine.VENDOR && vendor != null;
    }

    /** Whether max-pooling of this geometry runs on cuDNN, which keeps no argmax (its backward reads x and y). */
    boolean cudnnPools(Pool2dGeometry g) {
        return poolEngine(g) == vendor;
    }

    boolean vendorAvailable() {
        return vendor != null;
    }

    String vendorUnavailableReason() {
        return vendorUnavailable;
    }

    /** What convolutions of this shape (any batch) run on: the planned route, or null before any plan or call. */
    String choice(Conv2dGeometry g) {
        ConvRoute r = routes.get(g.withBatch(0));
        return r == null ? null : r.description();
    }

    /** The engine for a convolution shape: as planned at build time; planned now (untimed) when it was not. */
    private ConvEngine convEngine(Conv2dGeometry g) {
        return routes.computeIfAbsent(g.withBatch(0), key -> decide(g, false)).engine();
    }

    /**
     * Pooling: cuDNN under engine vendor when it loaded and can express the padding (it pads symmetrically only),
     * otherwise our kernels; a function of the geometry, so a max-pool's backward runs where its forward ran.
     */
    private ConvEngine poolEngine(Pool2dGeometry g) {
        return poolsWithCudnn() && CudnnConv.supports(g) ? vendor : ours;
    }

    private void countConv(ConvEngine e) {
        if (e == ours) {
            ourConvCalls++;
        } else {
            vendorConvCalls++;
        }
    }

    private void countPool(ConvEngine e) {
        if (e == ours) {
            ourPoolCalls++;
        } else {
            vendorPoolCalls++;
        }
    }

    /**
     * KERNELS: ours. VENDOR: cuDNN unless it did not load or refuses the shape (then ours, and the description says
     * why). AUTO: both timed on this shape when {@code timed} (build time), the faster wins; untimed or
     * deterministic, ours.
     */
    private ConvRoute decide(Conv2dGeometry g, boolean timed) {
        ConvEngine.ConvChoice mine = ours.plan(g, workspaceLimitBytes);
        String oursText = "kernels: " + mine.description();
        if (engine == Engine.KERNELS) {
            return new ConvRoute(ours, mine.workspaceBytes(), oursText);
        }
        if (vendor == null) {
            return new ConvRoute(ours, mine.workspaceBytes(), oursText + " (cuDNN unavailable)");
        }
        ConvEngine.ConvChoice theirs;
        try {
            theirs = vendor.plan(g, workspaceLimitBytes);
        } catch (UnsupportedOperationException e) {
            log.info("conv {}: cuDNN cannot run this shape ({}); our kernels will", shapeText(g), e.getMessage());
            return new ConvRoute(ours, mine.workspaceBytes(), oursText + " (cuDNN: " + e.getMessage() + ")");
        }
        String theirsText = "vendor: " + theirs.description();
        if (engine == Engine.VENDOR) {
            return new ConvRoute(vendor, theirs.workspaceBytes(), theirsText);
        }
        if (!timed || g.n() == 0) {
            return new ConvRoute(ours, mine.workspaceBytes(), oursText + " (not timed)");
        }
        if (deterministic) {
            // a choice by timing could differ from run to run, and the bits with it
            return new ConvRoute(ours, mine.workspaceBytes(), oursText + " (deterministic: not timed)");
        }
        double[] ms = timeBoth(g, mine, theirs);
        boolean vendorWins = ms[1] < ms[0];
        String text = String.format(Locale.ROOT, "%s (%.3f ms vs %s %.3f ms per fwd+bwd)",
                vendorWins ? theirsText : oursText, vendorWins ? ms[1] : ms[0], vendorWins ? "kernels" : "cuDNN",
                vendorWins ? ms[0] : ms[1]);
        log.info("conv {}: {}", shapeText(g), text);
        return vendorWins ? new ConvRoute(vendor, theirs.workspaceBytes(), text)
                : new ConvRoute(ours, mine.workspaceBytes(), text);
    }

    static String shapeText(Conv2dGeometry g) {
        return g.inputShape() + " * " + g.weightShape() + " stride " + g.strideH() + "x" + g.strideW() + " pad "
                + g.pad().top() + "/" + g.pad().bottom() + "/" + g.pad().left() + "/" + g.pad().right()
                + " dilation " + g.dilationH() + "x" + g.dilationW();
    }

    /**
     * Median milliseconds of forward + backward-data + backward-filter for {ours, cuDNN} on buffers of this shape,
     * allocated here (build time) and freed before returning; CUDA events, one warm-up run each.
     */
    private double[] timeBoth(Conv2dGeometry g, ConvEngine.ConvChoice mine, ConvEngine.ConvChoice theirs) {
        long x = align64(g.inputShape().size());
        long w = align64(g.weightShape().size());
        long y = align64(g.outputShape().size());
        long wsBytes = Math.max(mine.workspaceBytes(), theirs.workspaceBytes());
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
            launch.kernels.fill("conv timing", launch.elementwiseGrid(total), s.at(0), 0.5f,
                    (int) Math.min(total, Integer.MAX_VALUE));
            double[] result = new double[2];
            ConvEngine[] engines = {ours, vendor};
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

    /** Closes cuDNN (our kernels hold nothing of their own). */
    @Override
    public void close() {
        if (vendor != null) {
            vendor.close();
        }
    }
}
