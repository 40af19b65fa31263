// Inverted dropout with Philox-4x32-10, bit for bit the generator and element mapping of
// src/io/kernelnet/backend/Philox.java, so that CPU and GPU draw the same mask for the same (seed, offset).
#include "common.cuh"

namespace dropout {

// Philox-4x32-10 (Salmon et al., SC 2011), the round structure of Philox.block: ten rounds, the key bumped after
// each round. __umulhi gives the high word of the 32x32 -> 64-bit products.
__device__ __forceinline__ uint4 philox4x32_10(uint4 c, uint2 key) {
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        const unsigned lo0 = 0xD2511F53u * c.x;
        const unsigned hi0 = __umulhi(0xD2511F53u, c.x);
        const unsigned lo1 = 0xCD9E8D57u * c.z;
        const unsigned hi1 = __umulhi(0xCD9E8D57u, c.z);
        c = make_uint4(hi1 ^ c.y ^ key.x, lo1, hi0 ^ c.w ^ key.y, lo0);
        key.x += 0x9E3779B9u;
        key.y += 0xBB67AE85u;
    }
    return c;
}

// The 24 high bits of a word as a float in [0, 1), exact (Philox.toUniform).
__device__ __forceinline__ float to_uniform(unsigned word) {
    return static_cast<float>(word >> 8) * 0x1p-24f;
}

}  // namespace dropout

// Elementwise launch over ceil(n/4) counters: thread t (grid-stride) draws philox(counter = first + t, key = seed)
// and handles elements 4t..4t+3 with words 0..3. Keep iff u >= rate; mask = 1/(1-rate) or 0; y = x / (1-rate)
// or 0 (the CPU's division, so y matches it bit for bit too). float4 loads/stores when all three pointers are
// 16-byte aligned and the group is whole, scalar otherwise.
// The counters start at the step's generator position, read from step_scalars (StepScalars) on the device so that a
// CUDA graph captured once draws fresh numbers each step, plus offset, this draw's place within the step.
extern "C" __global__ void kn_dropout_forward(float* y, float* mask, const float* x, const float* step_scalars, int n,
                                              float rate, unsigned long long seed, unsigned long long offset) {
    const unsigned long long first = kn::step_count(step_scalars, kn::STEP_GENERATOR_OFFSET) + offset;
    const float keep_probability = 1.0f - rate;
    const float scale = 1.0f / keep_probability;
    const uint2 key = make_uint2(static_cast<unsigned>(seed), static_cast<unsigned>(seed >> 32));
    const bool vec = kn::aligned16(y) && kn::aligned16(mask) && kn::aligned16(x);
    const unsigned count = static_cast<unsigned>(n);
    const unsigned groups = (count + 3u) >> 2;
    const unsigned stride = gridDim.x * blockDim.x;
    for (unsigned t = blockIdx.x * blockDim.x + threadIdx.x; t < groups; t += stride) {
        const unsigned long long counter = first + t;
        const uint4 words = dropout::philox4x32_10(
            make_uint4(static_cast<unsigned>(counter), static_cast<unsigned>(counter >> 32), 0u, 0u), key);
        const bool k0 = dropout::to_uniform(words.x) >= rate;
        const bool k1 = dropout::to_uniform(words.y) >= rate;
        const bool k2 = dropout::to_uniform(words.z) >= rate;
        const bool k3 = dropout::to_uniform(words.w) >= rate;
        const unsigned e = t * 4u;
        if (vec && e + 3u < count) {
            const float4 v = kn::load4(x, t);
            kn::store4(mask, t, make_float4(k0 ? scale : 0.0f, k1 ? scale : 0.0f, k2 ? scale : 0.0f, k3 ? scale : 0.0f));
            kn::store4(y, t,
                       make_float4(k0 ? v.x / keep_probability : 0.0f, k1 ? v.y / keep_probability : 0.0f,
                                   k2 ? v.z / keep_probability : 0.0f, k3 ? v.w / keep_probability : 0.0f));
        } else {
            const bool keep[4] = {k0, k1, k2, k3};
#pragma unroll
            for (int w = 0; w < 4; ++w) {
                if (e + w < count) {
                    mask[e + w] = keep[w] ? scale : 0.0f;
                    y[e + w] = keep[w] ? x[e + w] / keep_probability : 0.0f;
                }
            }
        }
    }
}
