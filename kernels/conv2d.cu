// 2D convolution in NCHW as implicit GEMM: no im2col buffer, the GEMM operands are gathered from x, w and dy
// while shared-memory tiles are loaded. Definitions exactly as CpuConv (cross-correlation):
//   y[s, co, oh, ow] = sum over ci, i, j of w[co, ci, i, j] * x[s, ci, oh*sh + i*dh - top, ow*sw + j*dw - left]
// with positions outside the input reading as zero. Bottom/right padding only enters through out_h/out_w
// (computed on the host), so asymmetric ('same') padding needs nothing else.
//
//   forward          C[co, p]       = sum_k w[co, k] * X[k, p]      M = c_out, N = n*out_h*out_w, K = c_in*kh*kw
//   backward-data    C[ci, p]       = sum_k W[ci, k] * DY[k, p]     M = c_in,  N = n*h*w,          K = c_out*kh*kw
//   backward-filter  C[co, (ci,i,j)] = sum_k dy[co, k] * X[k, .]    M = c_out, N = c_in*kh*kw,     K = n*out_h*out_w
// Backward-data is the gather formulation: input pixel (ih, iw) sums over the (co, i, j) whose output position
// oh = (ih + top - i*dh) / sh (and alike for ow) is whole and in range; nothing is scattered, no atomics.
// Backward-filter splits K over blockIdx.z (k_per_split each): split z writes its partial sums to out + z*M*N,
// and kn_conv2d_sum_splits adds the splits in ascending order (one split: out is dw itself). Every sum has a
// fixed order, so results are the same run to run.
//
// Tiles: 64x64 outputs per block, K-tile 16, 256 threads in a 16x16 grid, each owning 4 consecutive rows and 4
// consecutive columns (4x4 FFMA per k, one LDS.128 per operand per k). Shared memory holds both operands k-major,
// As[k][m] and Bs[k][n], rows padded to 68 floats (float4-aligned). The next tile's global loads go to registers
// before the current tile's math. Each thread loads 4 A values (one k, rows t/16 + 16r) and 4 B values (one
// column n = t%64, k = t/64 + 4r) per tile, so the per-column index math (which sample, which pixel) is done once.
#include "common.cuh"

// Sizes of one convolution, passed by value (16 ints). k_per_split: backward-filter only, a multiple of 16.
struct KnConvShape {
    int n, c_in, h, w;
    int c_out, kh, kw;
    int stride_h, stride_w, pad_top, pad_left, dil_h, dil_w;
    int out_h, out_w;
    int k_per_split;
};

namespace conv {

constexpr int TM = 64;
constexpr int TN = 64;
constexpr int TK = 16;
constexpr int LD = TM + 4;
constexpr int THREADS = 256;

// C[m0.., n0..] = sum over k in [k_begin, k_end) of P::a(m, k) * P::b(col, k), stored through P::store.
// P provides: ACtx a_k(k) (k-dependent part of this thread's A loads), float a(ACtx, m); BCol col(n);
// float b(BCol, k); void store(m, n, v). Loads outside [0,M) x [k_begin,k_end) x [0,N) must return 0.
template <class P>
__device__ __forceinline__ void implicit_gemm(const P& p, int M, int N, int k_begin, int k_end) {
    __shared__ __align__(16) float As[TK][LD];
    __shared__ __align__(16) float Bs[TK][LD];
    const int t = threadIdx.x;
    const int m0 = blockIdx.y * TM;
    const int n0 = blockIdx.x * TN;
    const int tx = t & 15;
    const int ty = t >> 4;
    // this thread's loads: A rows m0 + (t>>4) + 16r at k (t&15); B column n0 + (t&63) at k (t>>6) + 4r
    const int a_k = t & 15;
    const int a_m = t >> 4;
    const int b_n = t & 63;
    const int b_k = t >> 6;
    const typename P::BCol col = p.col(n0 + b_n);

    float ra[4];
    float rb[4];
    auto fetch = [&](int k0) {
        const int ka = k0 + a_k;
        const typename P::ACtx actx = p.a_k(ka < k_end ? ka : -1);
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int m = m0 + a_m + 16 * r;
            ra[r] = (ka < k_end && m < M) ? p.a(actx, m) : 0.0f;
        }
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            const int kb = k0 + b_k + 4 * r;
            rb[r] = kb < k_end ? p.b(col, kb) : 0.0f;
        }
    };

    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            acc[i][j] = 0.0f;
        }
    }

    if (k_begin < k_end) {
        fetch(k_begin);
    }
    for (int k0 = k_begin; k0 < k_end; k0 += TK) {
#pragma unroll
        for (int r = 0; r < 4; ++r) {
            As[a_k][a_m + 16 * r] = ra[r];
            Bs[b_k + 4 * r][b_n] = rb[r];
        }
        __syncthreads();
        if (k0 + TK < k_end) {
            fetch(k0 + TK);  // in flight during the math below
        }
#pragma unroll
        for (int k = 0; k < TK; ++k) {
            const float4 a = *reinterpret_cast<const float4*>(&As[k][ty * 4]);
            const float4 b = *reinterpret_cast<const float4*>(&Bs[k][tx * 4]);
            const float av[4] = {a.x, a.y, a.z, a.w};
            const float bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int m = m0 + ty * 4 + i;
        if (m >= M) {
            continue;
        }
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int n = n0 + tx * 4 + j;
            if (n < N) {
                p.store(m, n, acc[i][j]);
            }
        }
    }
}

__device__ __forceinline__ bool inside(int v, int size) {
    return static_cast<unsigned>(v) < static_cast<unsigned>(size);
}

// An index into [outer, inner] split into its two; k < 0 (past the reduction's end) gives (0, 0).
struct Index2 {
    int outer, inner;
};

__device__ __forceinline__ Index2 split2(int index, int inner) {
    if (index < 0) {
        return {0, 0};
    }
    const int outer = index / inner;
    return {outer, index - outer * inner};
}

// An index into [outer, rows, cols] split into its three: a column p = (sample, oh, ow) or (sample, ih, iw), a
// reduction index k = (channel, i, j) over the kernel window.
struct Index3 {
    int outer, row, col;
};

// t[sample, channel, q] = v for column p = sample * plane + q of an NCHW tensor with planes of `plane` elements.
__device__ __forceinline__ void store_nchw(float* t, int channels, int plane, int channel, int p, float v) {
    const int sample = p / plane;
    t[(sample * channels + channel) * plane + (p - sample * plane)] = v;
}

__device__ __forceinline__ Index3 split3(int index, int rows, int cols) {
    const int plane = rows * cols;
    const int outer = index / plane;
    const int q = index - outer * plane;
    const int row = q / cols;
    return {outer, row, q - row * cols};
}

// ---- forward: A = w [c_out, K] (k contiguous), B[k = (ci, i, j), p = (s, oh, ow)] = x or 0 ----
struct Forward {
    float* y;
    const float* x;
    const float* w;
    KnConvShape s;
    int K;

    struct ACtx {
        int k;
    };
    struct BCol {
        const float* x_sample;  // x of this column's sample
        int ih0, iw0;           // oh*sh - top, ow*sw - left
        bool valid;
    };

    __device__ ACtx a_k(int k) const { return {k}; }
    __device__ float a(ACtx c, int m) const { return w[m * K + c.k]; }

    __device__ BCol col(int p) const {
        BCol c{x, 0, 0, p < s.n * s.out_h * s.out_w};
        if (c.valid) {
            const Index3 o = split3(p, s.out_h, s.out_w);  // (sample, oh, ow)
            c.x_sample = x + static_cast<size_t>(o.outer) * s.c_in * s.h * s.w;
            c.ih0 = o.row * s.stride_h - s.pad_top;
            c.iw0 = o.col * s.stride_w - s.pad_left;
        }
        return c;
    }

    __device__ float b(const BCol& c, int k) const {
        if (!c.valid) {
            return 0.0f;
        }
        const Index3 t = split3(k, s.kh, s.kw);  // (ci, i, j)
        const int ih = c.ih0 + t.row * s.dil_h;
        const int iw = c.iw0 + t.col * s.dil_w;
        return (inside(ih, s.h) && inside(iw, s.w)) ? c.x_sample[(t.outer * s.h + ih) * s.w + iw] : 0.0f;
    }

    __device__ void store(int co, int p, float v) const { store_nchw(y, s.c_out, s.out_h * s.out_w, co, p, v); }
};

// ---- backward-data: A[ci, k = (co, i, j)] = w[co, ci, i, j], B[k, p = (s, ih, iw)] = dy at the output position
// that read (ih, iw) through tap (i, j), or 0 ----
struct BackwardData {
    float* dx;
    const float* dy;
    const float* w;
    KnConvShape s;

    using ACtx = Index2;  // k = (co, r = i * kw + j)
    struct BCol {
        const float* dy_sample;
        int th, tw;  // ih + top, iw + left
        bool valid;
    };

    __device__ ACtx a_k(int k) const { return split2(k, s.kh * s.kw); }
    __device__ float a(ACtx c, int ci) const { return w[(c.outer * s.c_in + ci) * (s.kh * s.kw) + c.inner]; }

    __device__ BCol col(int p) const {
        BCol c{dy, 0, 0, p < s.n * (s.h * s.w)};
        if (c.valid) {
            const Index3 in = split3(p, s.h, s.w);  // (sample, ih, iw)
            c.dy_sample = dy + static_cast<size_t>(in.outer) * s.c_out * s.out_h * s.out_w;
            c.th = in.row + s.pad_top;
            c.tw = in.col + s.pad_left;
        }
        return c;
    }

    __device__ float b(const BCol& c, int k) const {
        if (!c.valid) {
            return 0.0f;
        }
        const Index3 t = split3(k, s.kh, s.kw);  // (co, i, j)
        const int ah = c.th - t.row * s.dil_h;  // = oh * stride_h when tap i of output row oh read this row
        const int aw = c.tw - t.col * s.dil_w;
        if (ah < 0 || aw < 0) {
            return 0.0f;
        }
        const int oh = ah / s.stride_h;
        const int ow = aw / s.stride_w;
        if (oh * s.stride_h != ah || ow * s.stride_w != aw || oh >= s.out_h || ow >= s.out_w) {
            return 0.0f;
        }
        return c.dy_sample[(t.outer * s.out_h + oh) * s.out_w + ow];
    }

    __device__ void store(int ci, int p, float v) const { store_nchw(dx, s.c_in, s.h * s.w, ci, p, v); }
};

// ---- backward-filter: A[co, k = (s, oh, ow)] = dy, B[k, f = (ci, i, j)] = x at the position tap (i, j) of
// output (oh, ow) read, or 0; C [c_out, c_in*kh*kw] = dw's layout ----
struct BackwardFilter {
    float* out;
    const float* dy;
    const float* x;
    KnConvShape s;

    using ACtx = Index2;  // k = (sample, q = oh * out_w + ow)
    struct BCol {
        int ci, di, dj;  // di = i*dh - top, dj = j*dw - left
        bool valid;
    };

    __device__ ACtx a_k(int k) const { return split2(k, s.out_h * s.out_w); }
    __device__ float a(ACtx c, int co) const { return dy[(c.outer * s.c_out + co) * (s.out_h * s.out_w) + c.inner]; }

    __device__ BCol col(int f) const {
        BCol c{0, 0, 0, f < s.c_in * (s.kh * s.kw)};
        if (c.valid) {
            const Index3 t = split3(f, s.kh, s.kw);  // (ci, i, j)
            c.ci = t.outer;
            c.di = t.row * s.dil_h - s.pad_top;
            c.dj = t.col * s.dil_w - s.pad_left;
        }
        return c;
    }

    __device__ float b(const BCol& c, int k) const {
        if (!c.valid) {
            return 0.0f;
        }
        const Index3 o = split3(k, s.out_h, s.out_w);  // (sample, oh, ow)
        const int ih = o.row * s.stride_h + c.di;
        const int iw = o.col * s.stride_w + c.dj;
        return (inside(ih, s.h) && inside(iw, s.w)) ? x[((o.outer * s.c_in + c.ci) * s.h + ih) * s.w + iw] : 0.0f;
    }

    __device__ void store(int co, int f, float v) const {
        const int filters = s.c_in * s.kh * s.kw;
        out[(static_cast<size_t>(blockIdx.z) * s.c_out + co) * filters + f] = v;
    }
};

}  // namespace conv

// grid = (ceil(n*out_h*out_w / 64), ceil(c_out / 64)), block 256. y is overwritten.
extern "C" __global__ void __launch_bounds__(256) kn_conv2d_forward(float* y, const float* x, const float* w,
                                                                     KnConvShape s) {
    const int K = s.c_in * s.kh * s.kw;
    conv::Forward p{y, x, w, s, K};
    conv::implicit_gemm(p, s.c_out, s.n * s.out_h * s.out_w, 0, K);
}

// grid = (ceil(n*h*w / 64), ceil(c_in / 64)), block 256. dx is overwritten (every element is written).
extern "C" __global__ void __launch_bounds__(256) kn_conv2d_backward_data(float* dx, const float* dy,
                                                                           const float* w, KnConvShape s) {
    conv::BackwardData p{dx, dy, w, s};
    conv::implicit_gemm(p, s.c_in, s.n * s.h * s.w, 0, s.c_out * s.kh * s.kw);
}

// grid = (ceil(c_in*kh*kw / 64), ceil(c_out / 64), splits), block 256; splits = ceil(K / k_per_split) with
// K = n*out_h*out_w. Split z sums k in [z*k_per_split, min(K, (z+1)*k_per_split)) into out + z*c_out*c_in*kh*kw.
// With one split, out is dw; otherwise a workspace of splits * |dw| floats for kn_conv2d_sum_splits.
extern "C" __global__ void __launch_bounds__(256) kn_conv2d_backward_filter(float* out, const float* dy,
                                                                             const float* x, KnConvShape s) {
    const int K = s.n * s.out_h * s.out_w;
    const int k_begin = blockIdx.z * s.k_per_split;
    const int k_end = min(K, k_begin + s.k_per_split);
    conv::BackwardFilter p{out, dy, x, s};
    conv::implicit_gemm(p, s.c_out, s.c_in * s.kh * s.kw, k_begin, k_end);
}

// Elementwise launch over count: dw[i] = partials[i] + partials[count + i] + ... in ascending split order.
extern "C" __global__ void kn_conv2d_sum_splits(float* dw, const float* partials, int count, int splits) {
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < static_cast<unsigned>(count); i += stride) {
        float sum = partials[i];
        for (int z = 1; z < splits; ++z) {
            sum += partials[static_cast<size_t>(z) * count + i];
        }
        dw[i] = sum;
    }
}
