// Mean squared error: gradient and per-block partial sums of the squared error (the host adds the partials).
#include "common.cuh"

// Elementwise launch (grid G <= 1024, block 256): dpred = 2 (p - t) / n; block b writes partial[b] = sum of the
// (p - t)^2 of its threads' grid-stride slices, in a fixed tree (deterministic for a given grid).
extern "C" __global__ void kn_mse(float* dpred, float* partial, const float* pred, const float* target, int n) {
    const float count = static_cast<float>(n);
    float sum = 0.0f;
    kn::for_each_vec4(
        n, kn::aligned16(dpred) && kn::aligned16(pred) && kn::aligned16(target),
        [&](unsigned g) {
            const float4 p = kn::load4(pred, g);
            const float4 t = kn::load4(target, g);
            const float4 d = make_float4(p.x - t.x, p.y - t.y, p.z - t.z, p.w - t.w);
            kn::store4(dpred, g,
                       make_float4(2.0f * d.x / count, 2.0f * d.y / count, 2.0f * d.z / count, 2.0f * d.w / count));
            sum += (d.x * d.x + d.y * d.y) + (d.z * d.z + d.w * d.w);
        },
        [&](unsigned i) {
            const float d = pred[i] - target[i];
            dpred[i] = 2.0f * d / count;
            sum += d * d;
        });
    sum = kn::block_sum(sum);
    if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}
