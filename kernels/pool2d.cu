// Max and average pooling in NCHW, exactly as CpuPool: the window of output (oh, ow) covers input rows
// oh*sh - top + [0, kh) and columns alike, clipped to the input, so padded positions never win a max and are not
// counted in a mean. One thread per output (forward) or per input element (backward), elementwise launch.
//
// Backward passes are gathers: input element (ih, iw) visits the windows that contain it in ascending (oh, ow)
// order, which is the order in which CpuPool's scatter adds into it, and starts from 0. So dx matches the CPU
// bit for bit, without atomics. Average pooling sums in double like the CPU and divides in double; the backward
// share dy / count in float equals the CPU's (float)((double) dy / count) (a double quotient rounded to float is
// the correctly rounded float quotient, and count is exact).
#include "common.cuh"

// Sizes of one pooling, passed by value (12 ints).
struct KnPoolShape {
    int n, c, h, w;
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    int out_h, out_w;
};

namespace pool {

// Clipped window [from, to) of output index o along one axis.
__device__ __forceinline__ void window(int o, int stride, int pad, int k, int size, int& from, int& to) {
    const int start = o * stride - pad;
    from = max(start, 0);
    to = min(start + k, size);
}

// Outputs o whose (unclipped) window start o*stride - pad <= i < start + k, clipped to [0, outs): [first, last].
__device__ __forceinline__ void covering(int i, int stride, int pad, int k, int outs, int& first, int& last) {
    const int lo = i + pad - k + 1;  // o*stride >= lo
    first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    last = min((i + pad) / stride, outs - 1);
}

// The clipped window of output element e of [n, c, out_h, out_w], and its input plane.
struct OutputWindow {
    const float* x_plane;
    int row_from, row_to, col_from, col_to;
};

__device__ __forceinline__ OutputWindow output_window(unsigned e, const float* x, const KnPoolShape& p) {
    const int ow = static_cast<int>(e % p.out_w);
    const int oh = static_cast<int>((e / p.out_w) % p.out_h);
    const unsigned plane = e / (static_cast<unsigned>(p.out_w) * p.out_h);
    OutputWindow win;
    win.x_plane = x + static_cast<size_t>(plane) * p.h * p.w;
    window(oh, p.stride_h, p.pad_top, p.kh, p.h, win.row_from, win.row_to);
    window(ow, p.stride_w, p.pad_left, p.kw, p.w, win.col_from, win.col_to);
    return win;
}

// Input element e of [n, c, h, w], its output plane and the outputs [oh_first, oh_last] x [ow_first, ow_last]
// whose windows contain it.
struct CoveringOutputs {
    int ih, iw;
    size_t out_plane;
    int oh_first, oh_last, ow_first, ow_last;
};

__device__ __forceinline__ CoveringOutputs covering_outputs(unsigned e, const KnPoolShape& p) {
    CoveringOutputs c;
    c.iw = static_cast<int>(e % p.w);
    c.ih = static_cast<int>((e / p.w) % p.h);
    const unsigned plane = e / (static_cast<unsigned>(p.w) * p.h);
    c.out_plane = static_cast<size_t>(plane) * p.out_h * p.out_w;
    covering(c.ih, p.stride_h, p.pad_top, p.kh, p.out_h, c.oh_first, c.oh_last);
    covering(c.iw, p.stride_w, p.pad_left, p.kw, p.out_w, c.ow_first, c.ow_last);
    return c;
}

}  // namespace pool

// Elementwise launch over n*c*out_h*out_w. argmax = ih*w + iw of the first maximum in row-major window order (as
// float); NaN wins over numbers, the first NaN stays.
extern "C" __global__ void kn_maxpool2d_forward(float* y, float* argmax, const float* x, KnPoolShape p) {
    const unsigned total = static_cast<unsigned>(p.n) * p.c * p.out_h * p.out_w;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const pool::OutputWindow win = pool::output_window(e, x, p);
        int best = win.row_from * p.w + win.col_from;
        float best_value = win.x_plane[best];
        for (int ih = win.row_from; ih < win.row_to; ++ih) {
            for (int iw = win.col_from; iw < win.col_to; ++iw) {
                const float v = win.x_plane[ih * p.w + iw];
                if (v > best_value || (isnan(v) && !isnan(best_value))) {
                    best_value = v;
                    best = ih * p.w + iw;
                }
            }
        }
        y[e] = best_value;
        argmax[e] = static_cast<float>(best);
    }
}

// Elementwise launch over n*c*h*w: dx[ih, iw] = sum of dy over the windows containing (ih, iw) whose argmax is
// this element, in ascending (oh, ow) order. An argmax that is no index of the plane simply never matches.
extern "C" __global__ void kn_maxpool2d_backward(float* dx, const float* dy, const float* argmax, KnPoolShape p) {
    const unsigned total = static_cast<unsigned>(p.n) * p.c * p.h * p.w;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const pool::CoveringOutputs c = pool::covering_outputs(e, p);
        const float self = static_cast<float>(c.ih * p.w + c.iw);
        float sum = 0.0f;
        for (int oh = c.oh_first; oh <= c.oh_last; ++oh) {
            for (int ow = c.ow_first; ow <= c.ow_last; ++ow) {
                const size_t q = c.out_plane + oh * p.out_w + ow;
                if (argmax[q] == self) {
                    sum += dy[q];
                }
            }
        }
        dx[e] = sum;
    }
}

// Elementwise launch over n*c*out_h*out_w: the mean over the clipped window, summed and divided in double.
extern "C" __global__ void kn_avgpool2d_forward(float* y, const float* x, KnPoolShape p) {
    const unsigned total = static_cast<unsigned>(p.n) * p.c * p.out_h * p.out_w;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const pool::OutputWindow win = pool::output_window(e, x, p);
        double sum = 0.0;
        for (int ih = win.row_from; ih < win.row_to; ++ih) {
            for (int iw = win.col_from; iw < win.col_to; ++iw) {
                sum += win.x_plane[ih * p.w + iw];
            }
        }
        y[e] = static_cast<float>(sum / ((win.row_to - win.row_from) * (win.col_to - win.col_from)));
    }
}

// Elementwise launch over n*c*h*w: dx[ih, iw] = sum of dy[oh, ow] / count(oh, ow) over the windows containing it.
extern "C" __global__ void kn_avgpool2d_backward(float* dx, const float* dy, KnPoolShape p) {
    const unsigned total = static_cast<unsigned>(p.n) * p.c * p.h * p.w;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
        const pool::CoveringOutputs c = pool::covering_outputs(e, p);
        float sum = 0.0f;
        for (int oh = c.oh_first; oh <= c.oh_last; ++oh) {
            int row_from, row_to;
            pool::window(oh, p.stride_h, p.pad_top, p.kh, p.h, row_from, row_to);
            for (int ow = c.ow_first; ow <= c.ow_last; ++ow) {
                int col_from, col_to;
                pool::window(ow, p.stride_w, p.pad_left, p.kw, p.w, col_from, col_to);
                const float count = static_cast<float>((row_to - row_from) * (col_to - col_from));
                sum += dy[c.out_plane + oh * p.out_w + ow] / count;
            }
        }
        dx[e] = sum;
    }
}
