// Row-major GEMM: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, batched over blockIdx.z with element
// strides. beta == 0 never reads C. Three kernels share one signature and one tile loader:
//   kn_sgemm_128x128       FP32, block tile 128x128x8, 256 threads, 8x8 outputs per thread
//   kn_sgemm_64x64         FP32, block tile 64x64x16, 256 threads, 4x4 outputs per thread (small problems)
//   kn_sgemm_tf32_128x128  TF32 tensor cores (mma.sync m16n8k8), block tile 128x128x16, 8 warps of 64x32
// grid = (ceil(N/BN), ceil(M/BM), batch), block 256.
//
// Shared memory holds both operands k-major: As[k][m] and Bs[k][n], rows padded, so that the FP32 inner loop reads
// 4 consecutive m (or n) of one k as one float4 (LDS.128), and the TF32 fragment loads hit 32 distinct banks.
// Tiles are double-buffered: the next tile's global loads are issued into registers before the current tile's
// math, and stored into the other buffer after it (one barrier per k-tile).
//
// Layouts (lda/ldb implied by the shapes): A is [M,K] (K contiguous) or, transposed, [K,M] (M contiguous); B is
// [K,N] (N contiguous) or, transposed, [N,K] (K contiguous). So a loader either reads along k ("k-contiguous",
// then transposes into shared memory) or along m/n. Global loads are float4 when the operand's matrix pointer is
// 16-byte aligned and its leading dimension a multiple of 4 (then a float4 never straddles an edge), else scalar.
// Out-of-range elements load as 0, so edge tiles need no other special case.
#include <type_traits>

#include "common.cuh"

namespace gemm {

constexpr int THREADS = 256;

struct Args {
    float* C;
    const float* A;
    const float* B;
    int M, N, K;
    float alpha, beta;
    // the epilogue kernels' C = act(C + bias[n]); bias NULL and act < 0 in the plain ones
    const float* bias;
    int act;
    float act_alpha;
};

// Round to TF32 (10-bit mantissa, nearest, ties away) and keep the bits in a float register.
// KN_HOST_EMULATION: native/host-emulation compiles this file with g++, which has no PTX; it runs the FP32 kernels.
__device__ __forceinline__ float to_tf32(float x) {
#ifdef KN_HOST_EMULATION
    return x;
#else
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return __uint_as_float(r);
#endif
}

// This thread's share of one tile of op(X): R rows (the m or n extent) by BK values of k, as float4 groups.
// K_CONTIG: X is [rows, K] row-major (k contiguous); else X is [K, rows] row-major (rows contiguous).
template <int R, int BK, bool K_CONTIG>
struct TileLoader {
    static constexpr int GROUPS = R * BK / 4 / THREADS;
    static_assert(R * BK % (4 * THREADS) == 0, "tile must split into whole float4 groups per thread");

    float4 regs[GROUPS];

    // Tile coordinates (r, k) of group j of this thread: consecutive threads take consecutive float4s of X.
    __device__ __forceinline__ static int group_r(int j) {
        const int idx = threadIdx.x + j * THREADS;
        return K_CONTIG ? idx / (BK / 4) : (idx % (R / 4)) * 4;
    }
    __device__ __forceinline__ static int group_k(int j) {
        const int idx = threadIdx.x + j * THREADS;
        return K_CONTIG ? (idx % (BK / 4)) * 4 : idx / (R / 4);
    }

    // Loads the tile at rows [r0, r0 + R), k [k0, k0 + BK) of X (rows x K), zero outside.
    __device__ __forceinline__ void load(const float* __restrict__ X, int rows, int K, int r0, int k0, bool vec) {
        const int ld = K_CONTIG ? K : rows;
#pragma unroll
        for (int j = 0; j < GROUPS; ++j) {
            const int r = r0 + group_r(j);
            const int k = k0 + group_k(j);
            float4& v = regs[j];
            if (K_CONTIG) {
                const float* p = X + static_cast<size_t>(r) * ld + k;
                const bool row_ok = r < rows;
                if (vec) {
                    v = row_ok && k < K ? __ldg(reinterpret_cast<const float4*>(p)) : make_float4(0.f, 0.f, 0.f, 0.f);
                } else {
                    v.x = row_ok && k < K ? __ldg(p) : 0.0f;
                    v.y = row_ok && k + 1 < K ? __ldg(p + 1) : 0.0f;
                    v.z = row_ok && k + 2 < K ? __ldg(p + 2) : 0.0f;
                    v.w = row_ok && k + 3 < K ? __ldg(p + 3) : 0.0f;
                }
            } else {
                const float* p = X + static_cast<size_t>(k) * ld + r;
                const bool k_ok = k < K;
                if (vec) {
                    v = k_ok && r < rows ? __ldg(reinterpret_cast<const float4*>(p)) : make_float4(0.f, 0.f, 0.f, 0.f);
                } else {
                    v.x = k_ok && r < rows ? __ldg(p) : 0.0f;
                    v.y = k_ok && r + 1 < rows ? __ldg(p + 1) : 0.0f;
                    v.z = k_ok && r + 2 < rows ? __ldg(p + 2) : 0.0f;
                    v.w = k_ok && r + 3 < rows ? __ldg(p + 3) : 0.0f;
                }
            }
        }
    }

    // Stores the loaded tile k-major into S[BK][LD] (LD = R + padding), rounded to TF32 when asked.
    template <int LD, bool TF32>
    __device__ __forceinline__ void store(float* S) const {
#pragma unroll
        for (int j = 0; j < GROUPS; ++j) {
            const int r = group_r(j);
            const int k = group_k(j);
            float4 v = regs[j];
            if (TF32) {
                v = make_float4(to_tf32(v.x), to_tf32(v.y), to_tf32(v.z), to_tf32(v.w));
            }
            if (K_CONTIG) {
                S[(k + 0) * LD + r] = v.x;
                S[(k + 1) * LD + r] = v.y;
                S[(k + 2) * LD + r] = v.z;
                S[(k + 3) * LD + r] = v.w;
            } else {
                *reinterpret_cast<float4*>(&S[k * LD + r]) = v;
            }
        }
    }
};

// Per-block operand state of the k loop: loaders for op(A) and op(B) and their vectorization flags.
// op(A) is k-contiguous when A is not transposed; op(B) when B is transposed.
template <int BM, int BN, int BK, bool TA, bool TB>
struct Operands {
    TileLoader<BM, BK, !TA> a;
    TileLoader<BN, BK, TB> b;
    bool vec_a, vec_b;

    __device__ __forceinline__ explicit Operands(const Args& g) {
        const int lda = TA ? g.M : g.K;
        const int ldb = TB ? g.K : g.N;
        vec_a = kn::aligned16(g.A) && (lda & 3) == 0;
        vec_b = kn::aligned16(g.B) && (ldb & 3) == 0;
    }

    __device__ __forceinline__ void load(const Args& g, int m0, int n0, int k0) {
        a.load(g.A, g.M, g.K, m0, k0, vec_a);
        b.load(g.B, g.N, g.K, n0, k0, vec_b);
    }

    template <int LDA, int LDB, bool TF32>
    __device__ __forceinline__ void store(float* As, float* Bs) const {
        a.template store<LDA, TF32>(As);
        b.template store<LDB, TF32>(Bs);
    }
};

// The epilogue kernels' act(v + bias[n]) (uniform branches; nothing in the plain kernels). __fadd_rn keeps the
// sum from contracting with alpha * acc into an FMA: the bits of a GEMM, then kn_bias_activation_forward.
__device__ __forceinline__ float epilogue(const Args& g, float v, int n) {
    if (g.bias) v = __fadd_rn(v, g.bias[n]);
    return g.act < 0 ? v : kn::act_apply(g.act, v, g.act_alpha);
}

// C[m, n..n+3] = epilogue(alpha * acc + beta * C) (C not read when beta == 0), bounds-checked; float4 when vec_c.
__device__ __forceinline__ void store_row4(const Args& g, int m, int n, float4 acc, bool vec_c) {
    if (m >= g.M || n >= g.N) return;
    float* c = g.C + static_cast<size_t>(m) * g.N + n;
    float4 out = make_float4(g.alpha * acc.x, g.alpha * acc.y, g.alpha * acc.z, g.alpha * acc.w);
    if (vec_c) {  // N % 4 == 0, so n + 3 < N
        if (g.beta != 0.0f) {
            const float4 old = *reinterpret_cast<const float4*>(c);
            out = make_float4(fmaf(g.beta, old.x, out.x), fmaf(g.beta, old.y, out.y), fmaf(g.beta, old.z, out.z),
                              fmaf(g.beta, old.w, out.w));
        }
        *reinterpret_cast<float4*>(c) = make_float4(epilogue(g, out.x, n), epilogue(g, out.y, n + 1),
                                                    epilogue(g, out.z, n + 2), epilogue(g, out.w, n + 3));
    } else {
        const float vals[4] = {out.x, out.y, out.z, out.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            if (n + j < g.N) c[j] = epilogue(g, g.beta != 0.0f ? fmaf(g.beta, c[j], vals[j]) : vals[j], n + j);
        }
    }
}

// ---- FP32 SIMT kernels -------------------------------------------------------------------------------------------

// Block tile BM x BN x BK; the 256 threads form a 16 x 16 grid (ty, tx), each computing TM x TN outputs: the rows
// q*64 + ty*4 + {0..3} for q < TM/4, and likewise the columns with tx. Each group of 4 is one float4 in shared
// memory (LDS.128); a warp reads 2 distinct A float4s (broadcast) and 16 consecutive B float4s per k.
template <int BM_, int BN_, int BK_, int TM_, int TN_>
struct SimtConfig {
    static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
    static constexpr int PAD = 4;  // keeps rows 16-byte aligned; breaks bank repeats of the transposing stores
    static constexpr int LDA = BM + PAD, LDB = BN + PAD;
    static constexpr int SMEM_FLOATS = 2 * BK * (LDA + LDB);  // two buffers of As[BK][LDA] and Bs[BK][LDB]
    static_assert(BM / (TM / 4) == 64 && BN / (TN / 4) == 64, "16 threads x 4 rows per group must span 64");
};

using Simt128 = SimtConfig<128, 128, 8, 8, 8>;
using Simt64 = SimtConfig<64, 64, 16, 4, 4>;

template <class Cfg, bool TA, bool TB>
__device__ __forceinline__ void sgemm_simt(float* smem, const Args& g) {
    constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
    constexpr int LDA = Cfg::LDA, LDB = Cfg::LDB;
    float* const as_base = smem;                // As[buffer][BK][LDA]
    float* const bs_base = smem + 2 * BK * LDA;  // Bs[buffer][BK][LDB]

    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int ty = threadIdx.x / 16;
    const int tx = threadIdx.x % 16;

    Operands<BM, BN, BK, TA, TB> ops(g);
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    ops.load(g, m0, n0, 0);
    ops.template store<LDA, LDB, false>(as_base, bs_base);
    __syncthreads();

    const int tiles = (g.K + BK - 1) / BK;
    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1;
        const bool more = t + 1 < tiles;
        if (more) ops.load(g, m0, n0, (t + 1) * BK);  // in flight during the math below

        const float* as = as_base + cur * BK * LDA;
        const float* bs = bs_base + cur * BK * LDB;
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[TM], b[TN];
#pragma unroll
            for (int q = 0; q < TM / 4; ++q) {
                const float4 v = *reinterpret_cast<const float4*>(&as[kk * LDA + q * 64 + ty * 4]);
                a[q * 4 + 0] = v.x;
                a[q * 4 + 1] = v.y;
                a[q * 4 + 2] = v.z;
                a[q * 4 + 3] = v.w;
            }
#pragma unroll
            for (int q = 0; q < TN / 4; ++q) {
                const float4 v = *reinterpret_cast<const float4*>(&bs[kk * LDB + q * 64 + tx * 4]);
                b[q * 4 + 0] = v.x;
                b[q * 4 + 1] = v.y;
                b[q * 4 + 2] = v.z;
                b[q * 4 + 3] = v.w;
            }
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }

        // The other buffer was last read in iteration t - 1, which every thread finished before the barrier.
        if (more) ops.template store<LDA, LDB, false>(as_base + (cur ^ 1) * BK * LDA, bs_base + (cur ^ 1) * BK * LDB);
        __syncthreads();
    }

    const bool vec_c = kn::aligned16(g.C) && (g.N & 3) == 0;
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int m = m0 + (i / 4) * 64 + ty * 4 + i % 4;
#pragma unroll
        for (int q = 0; q < TN / 4; ++q) {
            const int n = n0 + q * 64 + tx * 4;
            store_row4(g, m, n, make_float4(acc[i][q * 4], acc[i][q * 4 + 1], acc[i][q * 4 + 2], acc[i][q * 4 + 3]),
                       vec_c);
        }
    }
}

// ---- TF32 tensor-core kernel -------------------------------------------------------------------------------------

// 8 warps in a 2 (m) x 4 (n) grid, each a 64x32 sub-tile = 4 x 4 mma.m16n8k8 tiles, 64 accumulators per thread.
struct Tf32Config {
    static constexpr int BM = 128, BN = 128, BK = 16;
    static constexpr int WARP_M = 64, WARP_N = 32, MI = WARP_M / 16, NI = WARP_N / 8;
    // Row stride 136 = 8 (mod 32): a fragment load (k = t or t+4, row = g) touches banks 8t + g, all distinct.
    static constexpr int PAD = 8;
    static constexpr int LDA = BM + PAD, LDB = BN + PAD;
    static constexpr int SMEM_FLOATS = 2 * BK * (LDA + LDB);
};

// D += A * B for one m16n8k8 tile. Fragments (PTX ISA, mma.m16n8k8 .tf32; g = lane >> 2, t = lane & 3):
// A 16x8 row-major: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4);
// B 8x8 column-major: b0 (k=t, n=g), b1 (k=t+4, n=g);  C/D 16x8: c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1).
__device__ __forceinline__ void mma_tf32(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
#ifdef KN_HOST_EMULATION
    __trap();
#else
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

template <bool TA, bool TB>
__device__ __forceinline__ void sgemm_tf32(float* smem, const Args& g) {
    using Cfg = Tf32Config;
    constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, MI = Cfg::MI, NI = Cfg::NI;
    constexpr int LDA = Cfg::LDA, LDB = Cfg::LDB;
    float* const as_base = smem;                // As[buffer][BK][LDA]
    float* const bs_base = smem + 2 * BK * LDA;  // Bs[buffer][BK][LDB]

    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int warp = threadIdx.x >> 5;
    const int lane = kn::lane_id();
    const int grp = lane >> 2;  // g in the PTX fragment tables
    const int tig = lane & 3;   // t
    const int wm = (warp / 4) * Cfg::WARP_M;
    const int wn = (warp % 4) * Cfg::WARP_N;

    Operands<BM, BN, BK, TA, TB> ops(g);
    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int c = 0; c < 4; ++c) acc[i][j][c] = 0.0f;

    ops.load(g, m0, n0, 0);
    ops.template store<LDA, LDB, true>(as_base, bs_base);
    __syncthreads();

    const int tiles = (g.K + BK - 1) / BK;
    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1;
        const bool more = t + 1 < tiles;
        if (more) ops.load(g, m0, n0, (t + 1) * BK);

        const float* as = as_base + cur * BK * LDA;
        const float* bs = bs_base + cur * BK * LDB;
#pragma unroll
        for (int ks = 0; ks < BK; ks += 8) {
            const float* a_lo = as + (ks + tig) * LDA + wm + grp;      // k = t
            const float* a_hi = as + (ks + tig + 4) * LDA + wm + grp;  // k = t + 4
            const float* b_lo = bs + (ks + tig) * LDB + wn + grp;
            const float* b_hi = bs + (ks + tig + 4) * LDB + wn + grp;
            unsigned af[MI][4], bf[NI][2];
#pragma unroll
            for (int i = 0; i < MI; ++i) {
                af[i][0] = __float_as_uint(a_lo[i * 16]);
                af[i][1] = __float_as_uint(a_lo[i * 16 + 8]);
                af[i][2] = __float_as_uint(a_hi[i * 16]);
                af[i][3] = __float_as_uint(a_hi[i * 16 + 8]);
            }
#pragma unroll
            for (int j = 0; j < NI; ++j) {
                bf[j][0] = __float_as_uint(b_lo[j * 8]);
                bf[j][1] = __float_as_uint(b_hi[j * 8]);
            }
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int j = 0; j < NI; ++j) mma_tf32(acc[i][j], af[i], bf[j]);
        }

        if (more) ops.template store<LDA, LDB, true>(as_base + (cur ^ 1) * BK * LDA, bs_base + (cur ^ 1) * BK * LDB);
        __syncthreads();
    }

    // c0/c1 at (g, 2t..2t+1), c2/c3 at (g+8, 2t..2t+1): pairs of adjacent columns, float2 when N is even.
    const bool vec_c = (reinterpret_cast<uintptr_t>(g.C) & 7u) == 0 && (g.N & 1) == 0;
#pragma unroll
    for (int i = 0; i < MI; ++i) {
#pragma unroll
        for (int j = 0; j < NI; ++j) {
            const int n = n0 + wn + j * 8 + 2 * tig;
#pragma unroll
            for (int h = 0; h < 2; ++h) {
                const int m = m0 + wm + i * 16 + grp + h * 8;
                if (m >= g.M || n >= g.N) continue;
                float* c = g.C + static_cast<size_t>(m) * g.N + n;
                float v0 = g.alpha * acc[i][j][2 * h];
                float v1 = g.alpha * acc[i][j][2 * h + 1];
                if (vec_c) {  // N even, n even: n + 1 < N
                    if (g.beta != 0.0f) {
                        const float2 old = *reinterpret_cast<const float2*>(c);
                        v0 = fmaf(g.beta, old.x, v0);
                        v1 = fmaf(g.beta, old.y, v1);
                    }
                    *reinterpret_cast<float2*>(c) = make_float2(v0, v1);
                } else {
                    c[0] = g.beta != 0.0f ? fmaf(g.beta, c[0], v0) : v0;
                    if (n + 1 < g.N) c[1] = g.beta != 0.0f ? fmaf(g.beta, c[1], v1) : v1;
                }
            }
        }
    }
}

// Offsets the pointers to batch blockIdx.z.
__device__ __forceinline__ Args batch_args(float* C, const float* A, const float* B, int M, int N, int K, float alpha,
                                           float beta, long long stride_a, long long stride_b, long long stride_c) {
    const long long z = blockIdx.z;
    return Args{C + z * stride_c, A + z * stride_a, B + z * stride_b, M, N, K, alpha, beta, nullptr, -1, 0.0f};
}

// Calls body(bool_constant<trans_a>, bool_constant<trans_b>): one of four instantiations, by a uniform branch.
template <class Body>
__device__ __forceinline__ void dispatch_transposes(int trans_a, int trans_b, Body body) {
    using T = std::true_type;
    using F = std::false_type;
    if (trans_a) {
        if (trans_b) body(T{}, T{});
        else body(T{}, F{});
    } else {
        if (trans_b) body(F{}, T{});
        else body(F{}, F{});
    }
}

}  // namespace gemm

// Shared memory is declared here, once per kernel, so that the four transpose instantiations share it.
extern "C" __global__ void __launch_bounds__(256, 2) kn_sgemm_128x128(float* C, const float* A, const float* B, int M,
                                                                    int N, int K, int trans_a, int trans_b,
                                                                    float alpha, float beta, long long stride_a,
                                                                    long long stride_b, long long stride_c) {
    __shared__ __align__(16) float smem[gemm::Simt128::SMEM_FLOATS];
    const gemm::Args args = gemm::batch_args(C, A, B, M, N, K, alpha, beta, stride_a, stride_b, stride_c);
    gemm::dispatch_transposes(trans_a, trans_b, [&](auto ta, auto tb) {
        gemm::sgemm_simt<gemm::Simt128, decltype(ta)::value, decltype(tb)::value>(smem, args);
    });
}

extern "C" __global__ void __launch_bounds__(256) kn_sgemm_64x64(float* C, const float* A, const float* B, int M,
                                                                  int N, int K, int trans_a, int trans_b, float alpha,
                                                                  float beta, long long stride_a, long long stride_b,
                                                                  long long stride_c) {
    __shared__ __align__(16) float smem[gemm::Simt64::SMEM_FLOATS];
    const gemm::Args args = gemm::batch_args(C, A, B, M, N, K, alpha, beta, stride_a, stride_b, stride_c);
    gemm::dispatch_transposes(trans_a, trans_b, [&](auto ta, auto tb) {
        gemm::sgemm_simt<gemm::Simt64, decltype(ta)::value, decltype(tb)::value>(smem, args);
    });
}

extern "C" __global__ void __launch_bounds__(256, 2) kn_sgemm_tf32_128x128(float* C, const float* A, const float* B,
                                                                         int M, int N, int K, int trans_a,
                                                                         int trans_b, float alpha, float beta,
                                                                         long long stride_a, long long stride_b,
                                                                         long long stride_c) {
    __shared__ __align__(16) float smem[gemm::Tf32Config::SMEM_FLOATS];
    const gemm::Args args = gemm::batch_args(C, A, B, M, N, K, alpha, beta, stride_a, stride_b, stride_c);
    gemm::dispatch_transposes(trans_a, trans_b, [&](auto ta, auto tb) {
        gemm::sgemm_tf32<decltype(ta)::value, decltype(tb)::value>(smem, args);
    });
}

// C[M,N] = act(A[M,K] B[K,N] + bias[N]) for a Dense layer's forward (no transposes, one matrix): the FP32 kernels
// with the bias and activation applied in their epilogue. bias NULL: none; act < 0: none (codes as elementwise.cu).
extern "C" __global__ void __launch_bounds__(256, 2) kn_sgemm_bias_act_128x128(float* C, const float* A, const float* B,
                                                                             const float* bias, int M, int N, int K,
                                                                             int act, float act_alpha) {
    __shared__ __align__(16) float smem[gemm::Simt128::SMEM_FLOATS];
    const gemm::Args args{C, A, B, M, N, K, 1.0f, 0.0f, bias, act, act_alpha};
    gemm::sgemm_simt<gemm::Simt128, false, false>(smem, args);
}

extern "C" __global__ void __launch_bounds__(256) kn_sgemm_bias_act_64x64(float* C, const float* A, const float* B,
                                                                          const float* bias, int M, int N, int K,
                                                                          int act, float act_alpha) {
    __shared__ __align__(16) float smem[gemm::Simt64::SMEM_FLOATS];
    const gemm::Args args{C, A, B, M, N, K, 1.0f, 0.0f, bias, act, act_alpha};
    gemm::sgemm_simt<gemm::Simt64, false, false>(smem, args);
}
