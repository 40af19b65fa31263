// Just enough of CUDA to run kernels/conv2d.cu, pool2d.cu, bias.cu, gemm.cu's FP32 kernels, optim.cu, dropout.cu, softmax.cu and reduce.cu on the host: every block runs as 256
// std::threads (one block at a time), __shared__ is a static (shared by the block's threads), __syncthreads a
// std::barrier, a warp shuffle a barrier of the warp's 32 threads around a shared array. Index math, bounds checks,
// barriers and reduction trees are what this checks, not speed or the memory model.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstddef>
#include <algorithm>
#include <cstdlib>
#include <cstring>

#define KN_HOST_EMULATION 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
template <class T>
inline T __ldg(const T* p) { return *p; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, sizeof f); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, sizeof u); return u; }
[[noreturn]] inline void __trap() { std::abort(); }
struct Dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local Dim3 threadIdx;
inline Dim3 blockIdx, blockDim, gridDim;
inline std::barrier<>* emu_barrier = nullptr;
inline std::barrier<>* emu_warp_barriers[32] = {};
inline void __syncthreads() { emu_barrier->arrive_and_wait(); }
using std::max;
using std::min;
using std::isnan;
struct uint2 { unsigned x, y; };
struct uint4 { unsigned x, y, z, w; };
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline unsigned __umulhi(unsigned a, unsigned b) { return static_cast<unsigned>((1ull * a * b) >> 32); }
using std::isfinite;
inline int atomicMin(int* address, int value) {
    std::atomic_ref<int> a(*address);
    int old = a.load();
    while (value < old && !a.compare_exchange_weak(old, value)) {
    }
    return old;
}
// The 32 lanes of a warp call a shuffle together (as kn::warp_sum does, also inside warp 0 alone): each posts its
// value, the warp waits, each reads its partner's, the warp waits again before the array is reused.
inline float emu_lanes[1024];
inline float __shfl_xor_sync(unsigned, float v, int lane_mask) {
    const unsigned t = threadIdx.x;
    std::barrier<>* warp = emu_warp_barriers[t >> 5];
    emu_lanes[t] = v;
    warp->arrive_and_wait();
    const float partner = emu_lanes[t ^ static_cast<unsigned>(lane_mask)];
    warp->arrive_and_wait();
    return partner;
}
