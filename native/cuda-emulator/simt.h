// Just enough of CUDA's device side for kernels/*.cu to compile and run on the host with g++ (force-included with
// -include before every kernel source), shared by the emulated driver (libcuda.so.1) and native/host-emulation.
//
// A block's threads are fibers in one host thread (simt.cpp): each runs until it reaches a barrier
// (__syncthreads, or the warp-wide rendezvous of a shuffle), then the next one runs; a barrier opens when every
// thread of the block (of the warp) that has not returned has reached it. The blocks of a launch are shared out
// among a few host threads (KN_EMU_THREADS, default: the cores), each running one block at a time, so __shared__
// is a static per host thread (thread_local). Index math, bounds checks, barriers, shuffles and reduction trees behave as on a
// GPU; speed, the memory model (races within a block) and inline PTX do not (KN_HOST_EMULATION guards the PTX in
// gemm.cu).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#define KN_HOST_EMULATION 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __align__(n) __attribute__((aligned(n)))
#define __restrict__ __restrict

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct uint2 { unsigned x, y; };
struct uint4 { unsigned x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

template <class T>
inline T __ldg(const T* p) { return *p; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, sizeof f); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, sizeof u); return u; }
inline unsigned __umulhi(unsigned a, unsigned b) { return static_cast<unsigned>((1ull * a * b) >> 32); }
using std::isfinite;
using std::isnan;
using std::max;
using std::min;

struct Dim3 { unsigned x = 1, y = 1, z = 1; };

namespace kn_emu {
// The coordinates of the running block.
struct Block {
    Dim3 idx, dim, grid;
};

// At the base of every fiber's stack: its thread's coordinates, found from the stack pointer alone (fiber stacks
// are aligned to their size), so reading threadIdx costs a mask and a load and needs no thread-local storage.
struct FiberHeader {
    Dim3 thread;
    const Block* block;
    void* scheduler;
    void* fiber;
};
constexpr unsigned long STACK_BYTES = 256 * 1024;

inline FiberHeader* here() {
#if defined(__x86_64__)
    unsigned long sp;
    asm("mov %%rsp, %0" : "=r"(sp));
#else
    const auto sp = reinterpret_cast<unsigned long>(__builtin_frame_address(0));
#endif
    return reinterpret_cast<FiberHeader*>(sp & ~(STACK_BYTES - 1));
}

// Parks the running fiber at the block barrier / at its warp's rendezvous until it opens (simt.cpp).
void sync_block();
void sync_warp();
// The kernel stops here: the launch fails with CUDA_ERROR_LAUNCH_FAILED (sticky), as a device-side trap does.
[[noreturn]] void trap();
// A warp shuffle: every lane posts its value, the warp meets, each reads lane `from`'s, and the warp meets again.
unsigned long long exchange(unsigned long long value, unsigned from);

// Runs body() as every thread of every block of a grid x block launch. Returns false when a thread trapped or a
// block deadlocked (threads waiting at different barriers); why() says which.
bool run_grid_erased(Dim3 grid, Dim3 block, void (*body)(void*), void* context);
const char* why();

template <class F>
inline bool run_grid(Dim3 grid, Dim3 block, F body) {
    return run_grid_erased(grid, block, [](void* c) { (*static_cast<F*>(c))(); }, &body);
}

// The i-th kernel parameter of cuLaunchKernel's kernelParams, as type T.
template <class T>
inline T param(void* const* params, int i) {
    T value;
    std::memcpy(&value, params[i], sizeof value);
    return value;
}
}  // namespace kn_emu

// The kernels' view of the running thread (read-only, as on a GPU).
#define threadIdx (kn_emu::here()->thread)
#define blockIdx (kn_emu::here()->block->idx)
#define blockDim (kn_emu::here()->block->dim)
#define gridDim (kn_emu::here()->block->grid)

namespace kn_emu {
inline unsigned linear_thread() { return (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x; }
}  // namespace kn_emu

inline void __syncthreads() { kn_emu::sync_block(); }
[[noreturn]] inline void __trap() { kn_emu::trap(); }

// Lanes of one warp are 32 consecutive linear thread indices.
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    static_assert(sizeof(T) <= sizeof(unsigned long long), "shuffle of a type wider than 8 bytes");
    unsigned long long bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    bits = kn_emu::exchange(bits, kn_emu::linear_thread() ^ static_cast<unsigned>(lane_mask));
    T partner;
    std::memcpy(&partner, &bits, sizeof partner);
    return partner;
}

// Blocks of one launch run on several host threads.
inline int atomicMin(int* address, int value) {
    int old = __atomic_load_n(address, __ATOMIC_RELAXED);
    while (value < old && !__atomic_compare_exchange_n(address, &old, value, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
