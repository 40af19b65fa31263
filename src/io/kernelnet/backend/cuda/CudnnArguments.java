package io.kernelnet.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@link CudnnConv} hands to cuDNN's legacy API, worked out on the host so that it is testable without a GPU:
 * descriptor arguments from our geometries, the choice among the algorithms cuDNN reports, and algorithm names.
 * Only compile-time constants of the bytedeco preset are used here (javac inlines them), so nothing in this class
 * loads cuDNN.
 *
 * <p>cuDNN's legacy descriptors take one padding per dimension, applied before and after; our {@link Padding} has
 * four sides (Keras 'same' puts the odd row or column at the bottom or right). A geometry with top != bottom or
 * left != right is refused with {@link UnsupportedOperationException}: the caller runs our kernels for it.
 */
final class CudnnArguments {
    private CudnnArguments() {
    }

    /**
     * cudnnSetTensor4dDescriptor (x: n, c, h, w; y: n, k, outH, outW), cudnnSetFilter4dDescriptor (k, c, r, s) and
     * cudnnSetConvolution2dDescriptor (pad, stride, dilation) arguments of one convolution, NCHW float.
     */
    record Conv(int n, int c, int h, int w, int k, int r, int s, int padH, int padW, int strideH, int strideW,
                int dilationH, int dilationW, int outH, int outW) {
        /** cuDNN's own output size (cudnnGetConvolution2dForwardOutputDim): 1 + (in + 2 pad - effective kernel) / stride. */
        int cudnnOutH() {
            return 1 + (h + 2 * padH - ((r - 1) * dilationH + 1)) / strideH;
        }

        int cudnnOutW() {
            return 1 + (w + 2 * padW - ((s - 1) * dilationW + 1)) / strideW;
        }
    }

    /** cudnnSetPooling2dDescriptor (window, pad, stride) and the x (n, c, h, w) and y (n, c, outH, outW) tensors. */
    record Pool(int n, int c, int h, int w, int windowH, int windowW, int padH, int padW, int strideH, int strideW,
                int outH, int outW) {
        /** cuDNN's own output size (cudnnGetPooling2dForwardOutputDim): 1 + (in + 2 pad - window) / stride. */
        int cudnnOutH() {
            return 1 + (h + 2 * padH - windowH) / strideH;
        }

        int cudnnOutW() {
            return 1 + (w + 2 * padW - windowW) / strideW;
        }
    }

    /** Why cuDNN's legacy API cannot run this convolution, or null when it can. */
    static String unsupported(Conv2dGeometry g) {
        return asymmetric("convolution", g.pad());
    }

    /** Why cuDNN's legacy API cannot run this pooling, or null when it can. */
    static String unsupported(Pool2dGeometry g) {
        return asymmetric("pooling", g.pad());
    }

    private static String asymmetric(String what, Padding p) {
        if (p.top() == p.bottom() && p.left() == p.right()) {
            return null;
        }
        return "cuDNN " + what + " takes the same padding on both sides of a dimension, this one has top=" + p.top()
                + " bottom=" + p.bottom() + " left=" + p.left() + " right=" + p.right()
                + " (Keras 'same' with an even kernel or a stride); run it with our kernels";
    }

    /** Throws UnsupportedOperationException (with {@link #unsupported}'s reason) for asymmetric padding. */
    static Conv conv(Conv2dGeometry g) {
        String reason = unsupported(g);
        if (reason != null) {
            throw new UnsupportedOperationException(reason);
        }
        return new Conv(g.n(), g.cIn(), g.h(), g.w(), g.cOut(), g.kh(), g.kw(), g.pad().top(), g.pad().left(),
                g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.outH(), g.outW());
    }

    /** Throws UnsupportedOperationException (with {@link #unsupported}'s reason) for asymmetric padding. */
    static Pool pool(Pool2dGeometry g) {
        String reason = unsupported(g);
        if (reason != null) {
            throw new UnsupportedOperationException(reason);
        }
        return new Pool(g.n(), g.c(), g.h(), g.w(), g.kh(), g.kw(), g.pad().top(), g.pad().left(), g.strideH(),
                g.strideW(), g.outH(), g.outW());
    }

    /** Which of the three convolution passes an algorithm number belongs to (the numbering differs). */
    enum Pass {
        FORWARD("fwd", new String[] {"implicit_gemm", "implicit_precomp_gemm", "gemm", "direct", "fft",
            "fft_tiling", "winograd", "winograd_nonfused"}),
        BACKWARD_DATA("bwd-data", new String[] {"algo_0", "algo_1", "fft", "fft_tiling", "winograd",
            "winograd_nonfused"}),
        BACKWARD_FILTER("bwd-filter", new String[] {"algo_0", "algo_1", "fft", "algo_3", "winograd",
            "winograd_nonfused", "fft_tiling"});

        private final String label;
        private final String[] names;

        Pass(String label, String[] names) {
            this.label = label;
            this.names = names;
        }

        String label() {
            return label;
        }

        /**
         * The enum name without its prefix, lower case: cudnnConvolutionFwdAlgo_t 1 is "implicit_precomp_gemm",
         * cudnnConvolutionBwdFilterAlgo_t 3 is "algo_3"; "algo 9" for a number this build does not know.
         */
        String algorithmName(int algo) {
            return algo >= 0 && algo < names.length ? names[algo] : "algo " + algo;
        }
    }

    /**
     * One entry of cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: algorithm, status, time in milliseconds
     * (negative when only the heuristic ranked it), workspace bytes, cudnnDeterminism_t and cudnnMathType_t.
     */
    record Perf(int algo, int status, float timeMs, long memory, int determinism, int mathType) {
        boolean succeeded() {
            return status == CUDNN_STATUS_SUCCESS;
        }
    }

    /**
     * The algorithms we may run, fastest first: those that succeeded, ran in FMA math (no TF32: FP32 results must
     * match the CPU reference), need at most {@code workspaceLimit} bytes and, when {@code deterministic}, are
     * reported deterministic. Measured times (Find) order them; heuristic results (time &lt; 0) keep cuDNN's order,
     * which is its ranking. The sort is stable, so equal times keep cuDNN's order too.
     */
    static List<Perf> usable(List<Perf> reported, long workspaceLimit, boolean deterministic) {
        List<Perf> usable = new ArrayList<>();
        for (Perf p : reported) {
            if (p.succeeded() && p.mathType() == CUDNN_FMA_MATH && p.memory() >= 0 && p.memory() <= workspaceLimit
                    && (!deterministic || p.determinism() == CUDNN_DETERMINISTIC)) {
                usable.add(p);
            }
        }
        usable.sort(Comparator.comparingDouble(p -> p.timeMs() < 0 ? Double.POSITIVE_INFINITY : p.timeMs()));
        return usable;
    }

    /** The first (fastest) of {@code usable} whose workspace fits in {@code workspaceBytes}, or null. */
    static Perf fitting(List<Perf> usable, long workspaceBytes) {
        for (Perf p : usable) {
            if (p.memory() <= workspaceBytes) {
                return p;
            }
        }
        return null;
    }

    /** "implicit_gemm 0.031 ms 0 B" for each reported result, for error messages and debug logs. */
    static String describe(Pass pass, List<Perf> reported) {
        if (reported.isEmpty()) {
            return "none";
        }
        return reported.stream().map(p -> pass.algorithmName(p.algo()) + " (status " + p.status() + ", "
                + (p.timeMs() < 0 ? "unmeasured" : String.format(Locale.ROOT, "%.3f ms", p.timeMs())) + ", " + p.memory()
                + " B, " + (p.determinism() == CUDNN_DETERMINISTIC ? "deterministic" : "non-deterministic")
                + ", math " + p.mathType() + ")").collect(Collectors.joining("; "));
    }
}
