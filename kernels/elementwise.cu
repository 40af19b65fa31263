// Elementwise kernels: fill, add, mul and the activations (Backend javadoc semantics).
// Launch: grid-stride, block 256, grid = min(ceil(n/256), 4 * SMs * 8). float4 path when every pointer is
// 16-byte aligned, scalar otherwise and for the tail. Outputs may alias inputs element for element (y = x,
// dx = dy, y = a): each element is read before the same thread writes it, so the loads are plain (not __ldg).
#include "common.cuh"

namespace elementwise {

using kn::LEAKY_RELU;
using kn::RELU;
using kn::SIGMOID;
using kn::TANH;

template <int ACT>
__device__ __forceinline__ void activation_forward(float* y, const float* x, int n, float alpha) {
    kn::for_each_vec4(
        n, kn::aligned16(y) && kn::aligned16(x),
        [=](unsigned g) {
            float4 v = kn::load4(x, g);
            v.x = kn::act_forward<ACT>(v.x, alpha);
            v.y = kn::act_forward<ACT>(v.y, alpha);
            v.z = kn::act_forward<ACT>(v.z, alpha);
            v.w = kn::act_forward<ACT>(v.w, alpha);
            kn::store4(y, g, v);
        },
        [=](unsigned i) { y[i] = kn::act_forward<ACT>(x[i], alpha); });
}

// y = op(a, b) element for element.
template <typename Op>
__device__ __forceinline__ void binary(float* y, const float* a, const float* b, int n, Op op) {
    kn::for_each_vec4(
        n, kn::aligned16(y) && kn::aligned16(a) && kn::aligned16(b),
        [=](unsigned g) {
            const float4 u = kn::load4(a, g);
            const float4 v = kn::load4(b, g);
            kn::store4(y, g, make_float4(op(u.x, v.x), op(u.y, v.y), op(u.z, v.z), op(u.w, v.w)));
        },
        [=](unsigned i) { y[i] = op(a[i], b[i]); });
}

template <int ACT>
__device__ __forceinline__ void activation_backward(float* dx, const float* dy, const float* s, int n, float alpha) {
    binary(dx, dy, s, n, [=](float d, float v) { return kn::act_backward<ACT>(d, v, alpha); });
}

}  // namespace elementwise

extern "C" __global__ void kn_fill(float* y, float value, int n) {
    const float4 v = make_float4(value, value, value, value);
    kn::for_each_vec4(
        n, kn::aligned16(y), [=](unsigned g) { kn::store4(y, g, v); }, [=](unsigned i) { y[i] = value; });
}

extern "C" __global__ void kn_add(float* y, const float* a, const float* b, int n) {
    elementwise::binary(y, a, b, n, [](float u, float v) { return u + v; });
}

extern "C" __global__ void kn_mul(float* y, const float* a, const float* b, int n) {
    elementwise::binary(y, a, b, n, [](float u, float v) { return u * v; });
}

// act: 0 RELU, 1 LEAKY_RELU, 2 SIGMOID, 3 TANH (Activation ordinals); the branch is taken once per thread.
extern "C" __global__ void kn_activation_forward(float* y, const float* x, int n, int act, float alpha) {
    switch (act) {
        case elementwise::RELU: elementwise::activation_forward<elementwise::RELU>(y, x, n, alpha); break;
        case elementwise::LEAKY_RELU: elementwise::activation_forward<elementwise::LEAKY_RELU>(y, x, n, alpha); break;
        case elementwise::SIGMOID: elementwise::activation_forward<elementwise::SIGMOID>(y, x, n, alpha); break;
        case elementwise::TANH: elementwise::activation_forward<elementwise::TANH>(y, x, n, alpha); break;
        default: break;
    }
}

// ReLU and LeakyReLU read x, sigmoid and tanh read y; the other pointer is not touched (may be NULL).
extern "C" __global__ void kn_activation_backward(float* dx, const float* dy, const float* x, const float* y, int n,
                                                  int act, float alpha) {
    switch (act) {
        case elementwise::RELU: elementwise::activation_backward<elementwise::RELU>(dx, dy, x, n, alpha); break;
        case elementwise::LEAKY_RELU:
            elementwise::activation_backward<elementwise::LEAKY_RELU>(dx, dy, x, n, alpha);
            break;
        case elementwise::SIGMOID: elementwise::activation_backward<elementwise::SIGMOID>(dx, dy, y, n, alpha); break;
        case elementwise::TANH: elementwise::activation_backward<elementwise::TANH>(dx, dy, y, n, alpha); break;
        default: break;
    }
}
