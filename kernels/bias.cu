// Bias over the channel axis 1 of y[n, c, inner...] (inner = 1 for Dense, H*W for NCHW).
#include "common.cuh"

// Elementwise launch over n*c*inner: y[(i*c + ch)*inner + j] += bias[ch]. The float4 path divides once per
// group and steps (j, ch) through its four elements, since inner and c need not be multiples of 4.
extern "C" __global__ void kn_bias_add(float* y, const float* bias, int n, int c, int inner) {
    const unsigned channels = static_cast<unsigned>(c);
    const unsigned plane = static_cast<unsigned>(inner);
    const int total = static_cast<int>(static_cast<unsigned>(n) * channels * plane);
    kn::for_each_vec4(
        total, kn::aligned16(y),
        [=](unsigned g) {
            const unsigned e = g * 4u;
            const unsigned q = e / plane;
            unsigned j = e - q * plane;
            unsigned ch = q % channels;
            auto add_next = [&](float& element) {
                element += bias[ch];
                if (++j == plane) {
                    j = 0;
                    if (++ch == channels) ch = 0;
                }
            };
            float4 v = kn::load4(y, g);
            add_next(v.x);
            add_next(v.y);
            add_next(v.z);
            add_next(v.w);
            kn::store4(y, g, v);
        },
        [=](unsigned i) { y[i] += bias[(i / plane) % channels]; });
}

// grid = c blocks, block 256: block ch sums dy[:, ch, :] (n*inner values) into dbias[ch] (overwritten). Thread
// t takes the flat indices t, t + B, t + 2B, ... (B = blockDim.x) into four partial sums (four loads in flight),
// then the block sums the partials in a fixed tree. No atomics: the result does not depend on scheduling.
extern "C" __global__ void kn_bias_grad(float* dbias, const float* dy, int n, int c, int inner) {
    const unsigned ch = blockIdx.x;
    const unsigned channels = static_cast<unsigned>(c);
    const unsigned plane = static_cast<unsigned>(inner);
    const unsigned count = static_cast<unsigned>(n) * plane;
    const unsigned step = blockDim.x;
    // flat index f = i*inner + j of this channel -> dy[(i*c + ch)*inner + j]
    auto at = [=](unsigned f) {
        const unsigned i = f / plane;
        return dy[(i * channels + ch) * plane + (f - i * plane)];
    };
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    unsigned f = threadIdx.x;
    for (; f + 3 * step < count; f += 4 * step) {
        s0 += at(f);
        s1 += at(f + step);
        s2 += at(f + 2 * step);
        s3 += at(f + 3 * step);
    }
    for (; f < count; f += step) {
        s0 += at(f);
    }
    const float sum = kn::block_sum((s0 + s1) + (s2 + s3));
    if (threadIdx.x == 0) {
        dbias[ch] = sum;
    }
}
