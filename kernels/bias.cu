// Bias over the channel axis 1 of y[n, c, inner...] (inner = 1 for Dense, H*W for NCHW), alone or fused with the
// activation that follows it (the epilogue of a Dense or Conv2D layer).
#include "common.cuh"

namespace bias {
// y[e] = at(z[e], ch) over y[n, c, inner...], ch = (e / inner) % c, elementwise launch; y may alias z element for
// element. The float4 path divides once per group and steps (j, ch) through its four elements, since inner and c
// need not be multiples of 4.
template <class At>
__device__ __forceinline__ void per_channel(float* y, const float* z, int n, int c, int inner, At at) {
    const unsigned channels = static_cast<unsigned>(c);
    const unsigned plane = static_cast<unsigned>(inner);
    const int total = static_cast<int>(static_cast<unsigned>(n) * channels * plane);
    kn::for_each_vec4(
        total, kn::aligned16(y) && kn::aligned16(z),
        [=](unsigned g) {
            const unsigned e = g * 4u;
            const unsigned q = e / plane;
            unsigned j = e - q * plane;
            unsigned ch = q % channels;
            auto next = [&](float& element) {
                element = at(element, ch);
                if (++j == plane) {
                    j = 0;
                    if (++ch == channels) ch = 0;
                }
            };
            float4 v = kn::load4(z, g);
            next(v.x);
            next(v.y);
            next(v.z);
            next(v.w);
            kn::store4(y, g, v);
        },
        [=](unsigned i) { y[i] = at(z[i], (i / plane) % channels); });
}
}  // namespace bias

// Elementwise launch over n*c*inner: y[(i*c + ch)*inner + j] += bias[ch].
extern "C" __global__ void kn_bias_add(float* y, const float* bias, int n, int c, int inner) {
    bias::per_channel(y, y, n, c, inner, [=](float v, unsigned ch) { return v + bias[ch]; });
}

namespace bias {
// The sum of term(f) over this block's flat indices f < count: thread t takes t, t + B, t + 2B, ... (B =
// blockDim.x) into four partial sums (four loads in flight), then the block sums the partials in a fixed tree.
// No atomics: the result does not depend on scheduling. term is called once per index (it may store).
template <class Term>
__device__ __forceinline__ float channel_sum(unsigned count, Term term) {
    const unsigned step = blockDim.x;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    unsigned f = threadIdx.x;
    for (; f + 3 * step < count; f += 4 * step) {
        s0 += term(f);
        s1 += term(f + step);
        s2 += term(f + 2 * step);
        s3 += term(f + 3 * step);
    }
    for (; f < count; f += step) {
        s0 += term(f);
    }
    return kn::block_sum((s0 + s1) + (s2 + s3));
}
}  // namespace bias

// grid = c blocks, block 256: block ch sums dy[:, ch, :] (n*inner values) into dbias[ch] (overwritten), in
// channel_sum's fixed order.
extern "C" __global__ void kn_bias_grad(float* dbias, const float* dy, int n, int c, int inner) {
    const unsigned ch = blockIdx.x;
    const unsigned channels = static_cast<unsigned>(c);
    const unsigned plane = static_cast<unsigned>(inner);
    const unsigned count = static_cast<unsigned>(n) * plane;
    // flat index f = i*inner + j of this channel -> dy[(i*c + ch)*inner + j]
    auto at = [=](unsigned f) {
        const unsigned i = f / plane;
        return dy[(i * channels + ch) * plane + (f - i * plane)];
    };
    const float sum = bias::channel_sum(count, at);
    if (threadIdx.x == 0) {
        dbias[ch] = sum;
    }
}

namespace bias {

// y = act(z + bias[ch]) (bias NULL: act(z)); y may alias z element for element.
template <int ACT>
__device__ __forceinline__ void activation_forward(float* y, const float* z, const float* bias, int n, int c,
                                                   int inner, float alpha) {
    per_channel(y, z, n, c, inner,
                [=](float v, unsigned ch) { return kn::act_forward<ACT>(bias ? v + bias[ch] : v, alpha); });
}

// Block (ch, s) of grid (c, splits): dz = dy * act'(y) over samples [s*per_split, min(n, (s+1)*per_split)) of
// channel ch, and the sum of those dz into out[s*c + ch], in kn_bias_grad's fixed order.
template <int ACT>
__device__ __forceinline__ void activation_backward(float* dz, float* out, const float* dy, const float* y, int n,
                                                    int c, int inner, float alpha, int per_split) {
    const unsigned ch = blockIdx.x;
    const unsigned channels = static_cast<unsigned>(c);
    const unsigned plane = static_cast<unsigned>(inner);
    const unsigned first = blockIdx.y * static_cast<unsigned>(per_split);
    const unsigned samples = min(static_cast<unsigned>(per_split), static_cast<unsigned>(n) - first);
    const unsigned count = samples * plane;
    // flat index f = i*inner + j of this block's part of the channel -> element ((first + i)*c + ch)*inner + j
    auto grad = [=](unsigned f) {
        const unsigned i = f / plane;
        const unsigned e = ((first + i) * channels + ch) * plane + (f - i * plane);
        const float d = kn::act_backward<ACT>(dy[e], y[e], alpha);
        dz[e] = d;
        return d;
    };
    const float sum = channel_sum(count, grad);
    if (threadIdx.x == 0) {
        out[blockIdx.y * channels + ch] = sum;
    }
}

}  // namespace bias

// Elementwise launch over n*c*inner; act: the kernels' activation codes (the branch is taken once per thread).
extern "C" __global__ void kn_bias_activation_forward(float* y, const float* z, const float* bias, int n, int c,
                                                      int inner, int act, float alpha) {
    switch (act) {
        case kn::RELU: bias::activation_forward<kn::RELU>(y, z, bias, n, c, inner, alpha); break;
        case kn::LEAKY_RELU: bias::activation_forward<kn::LEAKY_RELU>(y, z, bias, n, c, inner, alpha); break;
        case kn::SIGMOID: bias::activation_forward<kn::SIGMOID>(y, z, bias, n, c, inner, alpha); break;
        case kn::TANH: bias::activation_forward<kn::TANH>(y, z, bias, n, c, inner, alpha); break;
        default: break;
    }
}

// grid = (c, splits), block 256; see bias::activation_backward. One split: out = dbias. More: out holds
// splits*c partial sums that kn_conv2d_sum_splits adds in order. dz may alias dy.
extern "C" __global__ void kn_bias_activation_backward(float* dz, float* out, const float* dy, const float* y, int n,
                                                       int c, int inner, int act, float alpha, int per_split) {
    switch (act) {
        case kn::RELU: bias::activation_backward<kn::RELU>(dz, out, dy, y, n, c, inner, alpha, per_split); break;
        case kn::LEAKY_RELU:
            bias::activation_backward<kn::LEAKY_RELU>(dz, out, dy, y, n, c, inner, alpha, per_split);
            break;
        case kn::SIGMOID: bias::activation_backward<kn::SIGMOID>(dz, out, dy, y, n, c, inner, alpha, per_split); break;
        case kn::TANH: bias::activation_backward<kn::TANH>(dz, out, dy, y, n, c, inner, alpha, per_split); break;
        default: break;
    }
}
