package io.kernelnet.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_FFT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_GEMM;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_NON_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_NOT_SUPPORTED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.cuda.CudnnArguments.Pass;
import io.kernelnet.backend.cuda.CudnnArguments.Perf;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link CudnnArguments} on the host, no GPU and no cuDNN needed (the preset's constants are compile-time
 * constants): descriptor arguments from our geometries, refusal of asymmetric padding, the choice among reported
 * algorithms, algorithm names.
 */
class CudnnArgumentsTest {

    // ---- descriptors -------------------------------------------------------------------------------------------

    @Test
    void convolutionDescriptorArgumentsComeFromTheGeometry() {
        // conv 32->64 3x3 stride 2, 'same' symmetric pad 1, dilation 1, on 13x11, batch 7
        Conv2dGeometry g = new Conv2dGeometry(7, 32, 13, 11, 64, 3, 3, 2, 2, Padding.symmetric(1, 1), 1, 1);
        CudnnArguments.Conv a = CudnnArguments.conv(g);
        assertEquals(new CudnnArguments.Conv(7, 32, 13, 11, 64, 3, 3, 1, 1, 2, 2, 1, 1, 7, 6), a);
        assertEquals(g.outH(), a.outH());
        assertEquals(g.outW(), a.outW());

        Conv2dGeometry dilated = new Conv2dGeometry(1, 2, 15, 14, 3, 3, 5, 1, 2, new Padding(2, 2, 4, 4), 2, 2);
        assertEquals(new CudnnArguments.Conv(1, 2, 15, 14, 3, 3, 5, 2, 4, 1, 2, 2, 2, 15, 7),
                CudnnArguments.conv(dilated));
    }

    /** cuDNN's output-size formula (cudnnGetConvolution2dForwardOutputDim) equals ours for every symmetric shape. */
    @Test
    void cudnnOutputSizeEqualsTheGeometrysForEverySymmetricConvolution() {
        int checked = 0;
        for (int in = 1; in <= 12; in++) {
            for (int k = 1; k <= 5; k++) {
                for (int stride = 1; stride <= 3; stride++) {
                    for (int dilation = 1; dilation <= 3; dilation++) {
                        for (int pad = 0; pad <= 3; pad++) {
                            if (in + 2 * pad < dilation * (k - 1) + 1) {
                                continue;
                            }
                            Conv2dGeometry g = new Conv2dGeometry(2, 3, in, in + 1 + 2 * pad, 4, k, k, stride,
                                    stride, Padding.symmetric(pad, pad), dilation, dilation);
                            CudnnArguments.Conv a = CudnnArguments.conv(g);
                            assertEquals(g.outH(), a.cudnnOutH(), g::toString);
                            assertEquals(g.outW(), a.cudnnOutW(), g::toString);
                            checked++;
                        }
                    }
                }
            }
        }
        assertTrue(checked > 1000, "checked " + checked);
    }

    @Test
    void theMnistCnnLayersMapOneToOne() {
        Map<Conv2dGeometry, CudnnArguments.Conv> layers = Map.of(
                Conv2dGeometry.of(128, 1, 28, 28, 32, 3, 3, Padding.NONE),
                new CudnnArguments.Conv(128, 1, 28, 28, 32, 3, 3, 0, 0, 1, 1, 1, 1, 26, 26),
                Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE),
                new CudnnArguments.Conv(128, 32, 13, 13, 64, 3, 3, 0, 0, 1, 1, 1, 1, 11, 11),
                Conv2dGeometry.of(128, 64, 5, 5, 64, 3, 3, Padding.NONE),
                new CudnnArguments.Conv(128, 64, 5, 5, 64, 3, 3, 0, 0, 1, 1, 1, 1, 3, 3));
        layers.forEach((g, expected) -> assertEquals(expected, CudnnArguments.conv(g)));
        assertEquals(new CudnnArguments.Pool(128, 32, 26, 26, 2, 2, 0, 0, 2, 2, 13, 13),
                CudnnArguments.pool(new Pool2dGeometry(128, 32, 26, 26, 2, 2, 2, 2, Padding.NONE)));
        assertEquals(new CudnnArguments.Pool(128, 64, 11, 11, 2, 2, 0, 0, 2, 2, 5, 5),
                CudnnArguments.pool(new Pool2dGeometry(128, 64, 11, 11, 2, 2, 2, 2, Padding.NONE)));
    }

    @Test
    void cudnnPoolingOutputSizeEqualsTheGeometrys() {
        int checked = 0;
        for (int in = 1; in <= 12; in++) {
            for (int k = 1; k <= 4; k++) {
                for (int stride = 1; stride <= 3; stride++) {
                    for (int pad = 0; pad < k; pad++) {
                        if (in + 2 * pad < k) {
                            continue;
                        }
                        Pool2dGeometry g = new Pool2dGeometry(3, 2, in, in + 2, k, k, stride, stride,
                                Padding.symmetric(pad, pad));
                        CudnnArguments.Pool a = CudnnArguments.pool(g);
                        assertEquals(new CudnnArguments.Pool(3, 2, in, in + 2, k, k, pad, pad, stride, stride,
                                g.outH(), g.outW()), a);
                        assertEquals(g.outH(), a.cudnnOutH(), g::toString);
                        assertEquals(g.outW(), a.cudnnOutW(), g::toString);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 200, "checked " + checked);
    }

    // ---- asymmetric padding ------------------------------------------------------------------------------------

    @Test
    void kerasSameWithAnExtraRowOrColumnIsRefusedWithTheReason() {
        // 'same' 3x3 stride 2 on 28x28: total padding 1, put at the bottom and right
        Padding stride2 = Padding.same(28, 28, 3, 3, 2, 2, 1, 1);
        assertEquals(new Padding(0, 1, 0, 1), stride2);
        Conv2dGeometry g = new Conv2dGeometry(4, 3, 28, 28, 8, 3, 3, 2, 2, stride2, 1, 1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> CudnnArguments.conv(g));
        assertTrue(e.getMessage().contains("top=0 bottom=1 left=0 right=1"), e.getMessage());
        assertTrue(e.getMessage().contains("our kernels"), e.getMessage());
        assertFalse(CudnnConv.supports(g));

        // 'same' 2x2 stride 1: the extra column only
        Conv2dGeometry even = Conv2dGeometry.of(1, 1, 6, 6, 1, 1, 2, Padding.same(6, 6, 1, 2, 1, 1, 1, 1));
        assertThrows(UnsupportedOperationException.class, () -> CudnnArguments.conv(even));

        // 'same' 3x3 stride 1 is symmetric and accepted
        Conv2dGeometry same = Conv2dGeometry.of(1, 1, 6, 6, 1, 3, 3, Padding.same(6, 6, 3, 3, 1, 1, 1, 1));
        assertTrue(CudnnConv.supports(same));
        assertNull(CudnnArguments.unsupported(same));
    }

    @Test
    void asymmetricPoolingPaddingIsRefusedWithTheReason() {
        // 'same' 2x2 stride 2 on 7x7: one extra row and column
        Pool2dGeometry g = new Pool2dGeometry(2, 3, 7, 7, 2, 2, 2, 2, Padding.same(7, 7, 2, 2, 2, 2, 1, 1));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> CudnnArguments.pool(g));
        assertTrue(e.getMessage().startsWith("cuDNN pooling takes the same padding on both sides"), e.getMessage());
        assertTrue(e.getMessage().contains("top=0 bottom=1 left=0 right=1"), e.getMessage());
        assertFalse(CudnnConv.supports(g));
        assertTrue(CudnnConv.supports(new Pool2dGeometry(2, 3, 8, 8, 2, 2, 2, 2, Padding.NONE)));
    }

    // ---- algorithm choice --------------------------------------------------------------------------------------

    private static Perf perf(int algo, int status, float ms, long memory, int determinism, int math) {
        return new Perf(algo, status, ms, memory, determinism, math);
    }

    private static final int OK = CUDNN_STATUS_SUCCESS;
    private static final int DET = CUDNN_DETERMINISTIC;
    private static final int NONDET = CUDNN_NON_DETERMINISTIC;
    private static final int FMA = CUDNN_FMA_MATH;

    @Test
    void theFastestSuccessfulFmaAlgorithmWithinTheLimitIsChosen() {
        Perf failed = perf(5, CUDNN_STATUS_NOT_SUPPORTED, 0.001f, 0, DET, FMA);
        Perf tf32 = perf(6, OK, 0.002f, 0, DET, CUDNN_TENSOR_OP_MATH);
        Perf defaultMath = perf(7, OK, 0.003f, 0, DET, CUDNN_DEFAULT_MATH);
        Perf huge = perf(4, OK, 0.010f, 1L << 32, DET, FMA);
        Perf slowSmall = perf(0, OK, 0.300f, 0, DET, FMA);
        Perf fastNondet = perf(3, OK, 0.050f, 4096, NONDET, FMA);
        Perf fastDet = perf(1, OK, 0.100f, 1 << 20, DET, FMA);
        // cuDNN sorts by time; shuffle to check that we sort too
        List<Perf> reported = List.of(slowSmall, huge, failed, fastDet, tf32, fastNondet, defaultMath);

        List<Perf> any = CudnnArguments.usable(reported, 64L << 20, false);
        assertEquals(List.of(fastNondet, fastDet, slowSmall), any);
        assertSame(fastNondet, CudnnArguments.fitting(any, 64L << 20));

        List<Perf> deterministic = CudnnArguments.usable(reported, 64L << 20, true);
        assertEquals(List.of(fastDet, slowSmall), deterministic);

        // a call given less workspace than planned takes the fastest that fits; none fits: null
        assertSame(slowSmall, CudnnArguments.fitting(deterministic, 1000));
        assertSame(slowSmall, CudnnArguments.fitting(deterministic, 0));
        assertNull(CudnnArguments.fitting(List.of(fastDet), 1000));

        // the limit includes its bound; above the limit is out even when fastest
        assertEquals(List.of(fastNondet, slowSmall), CudnnArguments.usable(reported, 4096, false));
        assertEquals(List.of(huge, fastNondet, fastDet, slowSmall),
                CudnnArguments.usable(reported, Long.MAX_VALUE, false));
    }

    @Test
    void heuristicResultsWithoutTimesKeepCudnnsRanking() {
        Perf first = perf(1, OK, -1f, 1 << 20, DET, FMA);
        Perf second = perf(0, OK, -1f, 0, DET, FMA);
        Perf third = perf(2, OK, -1f, 1 << 10, DET, FMA);
        Perf unknownSize = perf(3, OK, -1f, -1, DET, FMA);
        List<Perf> usable = CudnnArguments.usable(List.of(first, second, unknownSize, third), 1L << 30, false);
        assertEquals(List.of(first, second, third), usable);
        assertSame(second, CudnnArguments.fitting(usable, 1000));
        assertSame(third, CudnnArguments.fitting(List.of(first, third), 4096));
    }

    @Test
    void nothingUsableIsAnEmptyList() {
        assertTrue(CudnnArguments.usable(List.of(), Long.MAX_VALUE, false).isEmpty());
        assertTrue(CudnnArguments.usable(List.of(perf(0, OK, 1f, 0, NONDET, FMA)), 0, true).isEmpty());
        assertNull(CudnnArguments.fitting(List.of(), Long.MAX_VALUE));
    }

    @Test
    void describeListsWhatCudnnReported() {
        String text = CudnnArguments.describe(Pass.BACKWARD_FILTER, List.of(
                perf(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, OK, 0.25f, 512, NONDET, FMA),
                perf(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, CUDNN_STATUS_NOT_SUPPORTED, -1f, -1, DET, FMA)));
        assertEquals("algo_3 (status 0, 0.250 ms, 512 B, non-deterministic, math 3); "
                + "algo_1 (status " + CUDNN_STATUS_NOT_SUPPORTED + ", unmeasured, -1 B, deterministic, math 3)", text);
        assertEquals("none", CudnnArguments.describe(Pass.FORWARD, List.of()));
    }

    // ---- names -------------------------------------------------------------------------------------------------

    @Test
    void algorithmNamesFollowTheCudnnEnums() {
        Map<Integer, String> forward = Map.of(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, "implicit_gemm",
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, "implicit_precomp_gemm",
                CUDNN_CONVOLUTION_FWD_ALGO_GEMM, "gemm", CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, "direct",
                CUDNN_CONVOLUTION_FWD_ALGO_FFT, "fft", CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, "fft_tiling",
                CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, "winograd",
                CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, "winograd_nonfused");
        assertEquals(CUDNN_CONVOLUTION_FWD_ALGO_COUNT, forward.size());
        forward.forEach((algo, name) -> assertEquals(name, Pass.FORWARD.algorithmName(algo)));

        Map<Integer, String> data = Map.of(CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, "algo_0",
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, "algo_1", CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, "fft",
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING, "fft_tiling",
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, "winograd",
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED, "winograd_nonfused");
        assertEquals(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, data.size());
        data.forEach((algo, name) -> assertEquals(name, Pass.BACKWARD_DATA.algorithmName(algo)));

        Map<Integer, String> filter = Map.of(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, "algo_0",
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, "algo_1", CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT, "fft",
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, "algo_3", CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD, "winograd",
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED, "winograd_nonfused",
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, "fft_tiling");
        assertEquals(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, filter.size());
        filter.forEach((algo, name) -> assertEquals(name, Pass.BACKWARD_FILTER.algorithmName(algo)));

        assertEquals("algo 42", Pass.FORWARD.algorithmName(42));
        assertEquals("algo -1", Pass.BACKWARD_DATA.algorithmName(-1));
        assertEquals("fwd", Pass.FORWARD.label());
        assertEquals("bwd-data", Pass.BACKWARD_DATA.label());
        assertEquals("bwd-filter", Pass.BACKWARD_FILTER.label());
    }
}
