// Just enough of CUDA to run kernels/conv2d.cu, pool2d.cu, optim.cu, dropout.cu and reduce.cu on the host: every block runs as 256
// std::threads (one block at a time), __shared__ is a static (shared by the block's threads), __syncthreads a
// std::barrier. Index math, bounds checks and barriers are what this checks, not speed or the memory model.
#pragma once
#include <barrier>
#include <cmath>
#include <cstddef>
#include <algorithm>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

struct alignas(16) float4 { float x, y, z, w; };
struct Dim3 { unsigned x = 0, y = 0, z = 0; };
inline thread_local Dim3 threadIdx;
inline Dim3 blockIdx, blockDim, gridDim;
inline std::barrier<>* emu_barrier = nullptr;
inline void __syncthreads() { emu_barrier->arrive_and_wait(); }
using std::max;
using std::min;
using std::isnan;
constexpr unsigned FULL_MASK_UNUSED = 0;
// shuffles are not emulated: the kernels checked here that reduce over a warp (none but reduce.cu's, which are
// compiled, not checked) would get wrong sums
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int) { return v; }
struct uint2 { unsigned x, y; };
struct uint4 { unsigned x, y, z, w; };
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline unsigned __umulhi(unsigned a, unsigned b) { return static_cast<unsigned>((1ull * a * b) >> 32); }
using std::isfinite;
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
