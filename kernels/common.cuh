// Device helpers shared by kernels/*.cu: grid-stride iteration with a float4 fast path, the row-per-warp
// indexing of the "row" kernels, and deterministic warp and block reductions.
//
// build-kernels.sh compiles every .cu file as ONE translation unit (one fatbin for cuModuleLoadData), so this
// header is included once per file but seen once in all: everything here is inline and inside namespace kn, and
// file-local helpers of the .cu files live in their own namespaces.
#pragma once

#include <cstdint>

namespace kn {

constexpr unsigned FULL_WARP = 0xffffffffu;

// The step scalars (src/io/kernelnet/backend/StepScalars.java): what changes from one training step to the next,
// written into device memory before the step and read here, so that a CUDA graph captured once takes each step's
// values. A count is three 21-bit words, low word first, each an exact float.
constexpr int STEP_LEARNING_RATE = 0;
constexpr int STEP_NUMBER = 1;
constexpr int STEP_GENERATOR_OFFSET = 4;

__device__ __forceinline__ unsigned long long step_count(const float* step_scalars, int at) {
    return static_cast<unsigned long long>(step_scalars[at]) |
           static_cast<unsigned long long>(step_scalars[at + 1]) << 21 |
           static_cast<unsigned long long>(step_scalars[at + 2]) << 42;
}

__device__ __forceinline__ bool aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

__device__ __forceinline__ float4 load4(const float* p, unsigned group) {
    return reinterpret_cast<const float4*>(p)[group];
}

__device__ __forceinline__ void store4(float* p, unsigned group, float4 v) {
    reinterpret_cast<float4*>(p)[group] = v;
}

// Grid-stride visit of [0, n). With vec (every pointer the caller touches is 16-byte aligned), f4(g) handles the
// float4 group g (elements 4g..4g+3) of the first n/4*4 elements and f1(i) the scalar tail; without vec, f1(i)
// handles every element. Indices are unsigned: n < 2^31 and the stride < 2^31, so i + stride never wraps.
template <class F4, class F1>
__device__ __forceinline__ void for_each_vec4(int n, bool vec, F4 f4, F1 f1) {
    const unsigned first = blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned stride = gridDim.x * blockDim.x;
    const unsigned count = static_cast<unsigned>(n);
    unsigned head = 0;
    if (vec) {
        const unsigned groups = count >> 2;
        for (unsigned g = first; g < groups; g += stride) {
            f4(g);
        }
        head = groups << 2;
    }
    for (unsigned i = head + first; i < count; i += stride) {
        f1(i);
    }
}

// Activations by the kernels' codes (kernels/CONTRACT.md; CudaBackend.code): elementwise.cu and the fused
// bias-activation of bias.cu share these definitions. NaN passes through ReLU (as Math.max does on the CPU).
enum Act { RELU = 0, LEAKY_RELU = 1, SIGMOID = 2, TANH = 3 };

template <int ACT>
__device__ __forceinline__ float act_forward(float x, float alpha) {
    if (ACT == RELU) return x < 0.0f ? 0.0f : x;
    if (ACT == LEAKY_RELU) return x > 0.0f ? x : alpha * x;
    if (ACT == SIGMOID) return 1.0f / (1.0f + expf(-x));
    return tanhf(x);
}

// dy * act'(.) from s: x for the ReLUs (derivative 0 at x == 0), y = act(x) for sigmoid and tanh. The fused
// backward passes y for the ReLUs too: y > 0 exactly when x > 0 (LeakyReLU with alpha >= 0).
template <int ACT>
__device__ __forceinline__ float act_backward(float dy, float s, float alpha) {
    if (ACT == RELU) return s > 0.0f ? dy : 0.0f;
    if (ACT == LEAKY_RELU) return s > 0.0f ? dy : alpha * dy;
    if (ACT == SIGMOID) return dy * s * (1.0f - s);
    return dy * (1.0f - s * s);
}

// act_forward by a runtime code (a uniform branch): the GEMM epilogue, whose kernels stay one instantiation.
__device__ __forceinline__ float act_apply(int act, float x, float alpha) {
    switch (act) {
        case RELU: return act_forward<RELU>(x, alpha);
        case LEAKY_RELU: return act_forward<LEAKY_RELU>(x, alpha);
        case SIGMOID: return act_forward<SIGMOID>(x, alpha);
        case TANH: return act_forward<TANH>(x, alpha);
        default: return x;
    }
}

// Row kernels: one warp per row, blockDim.x / 32 rows per block.
__device__ __forceinline__ int warp_row() {
    return blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
}

__device__ __forceinline__ int lane_id() {
    return threadIdx.x & 31;
}

// Butterfly reductions: every lane ends with the same bits (each step adds the same two values in either lane).
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(FULL_WARP, v, offset);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(FULL_WARP, v, offset));
    }
    return v;
}

// Sum of v over the block (blockDim.x a multiple of 32, at most 1024) in a fixed tree: each warp by shuffles,
// then warp 0 over the per-warp sums in shared memory. Same inputs, same bits. Every thread of the block must
// call it (it synchronizes); the result is valid in thread 0. Call at most once per kernel.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float warp_sums[32];
    v = warp_sum(v);
    const int warp = threadIdx.x >> 5;
    if (lane_id() == 0) {
        warp_sums[warp] = v;
    }
    __syncthreads();
    float total = 0.0f;
    if (warp == 0) {
        total = lane_id() < static_cast<int>(blockDim.x >> 5) ? warp_sums[lane_id()] : 0.0f;
        total = warp_sum(total);
    }
    return total;
}

}  // namespace kn
