// Optimizer steps over one flat run of parameters (SgdStep and AdamStep javadoc formulas).
// Elementwise launch, float4 path when every pointer used is 16-byte aligned. halt (NULL: none) is the device
// flag of a step found bad (kn_flag_nonfinite): while *halt != 0 the kernel writes nothing. step_inputs (NULL: none)
// is a replayed training step's {lr, bias_correction1, bias_correction2} (kn_set_step_inputs), read from the device
// in place of the arguments so that a CUDA graph captured once takes each step's values.
#include "common.cuh"

namespace optim {

struct Sgd {
    float lr, momentum, weight_decay;
    bool nesterov, decoupled;

    // decoupled: p *= 1 - lr*wd, else g += wd*p; v = momentum*v + g; p -= lr * (nesterov ? g + momentum*v : v);
    // without momentum p -= lr*g
    __device__ __forceinline__ void step(float& p, float g, float* v) const {
        if (decoupled) {
            p *= 1.0f - lr * weight_decay;
        } else {
            g += weight_decay * p;
        }
        if (v != nullptr) {
            *v = momentum * *v + g;
            g = nesterov ? g + momentum * *v : *v;
        }
        p -= lr * g;
    }
};

struct Adam {
    float lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2;
    float keras_step_size;  // lr * sqrt(bc2) / bc1, once per thread
    bool keras_epsilon, decoupled;

    // decoupled (AdamW): p *= 1 - lr*wd, else g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    // Keras: p -= lr * sqrt(bc2)/bc1 * m / (sqrt(v) + eps); PyTorch: p -= lr * (m/bc1) / (sqrt(v/bc2) + eps)
    __device__ __forceinline__ void step(float& p, float g, float& m, float& v) const {
        if (decoupled) {
            p *= 1.0f - lr * weight_decay;
        } else {
            g += weight_decay * p;
        }
        m = beta1 * m + (1.0f - beta1) * g;
        v = beta2 * v + (1.0f - beta2) * g * g;
        if (keras_epsilon) {
            p -= keras_step_size * m / (sqrtf(v) + eps);
        } else {
            p -= lr * (m / bias_correction1) / (sqrtf(v / bias_correction2) + eps);
        }
    }
};

}  // namespace optim

// vel may be NULL when momentum == 0 (it is then neither read nor written).
extern "C" __global__ void kn_sgd(float* p, const float* g, float* vel, int n, float lr, float momentum, int nesterov,
                                  float weight_decay, int decoupled, const float* halt, const float* step_inputs) {
    if (halt != nullptr && *halt != 0.0f) return;
    if (step_inputs != nullptr) lr = step_inputs[0];
    const optim::Sgd sgd{lr, momentum, weight_decay, nesterov != 0, decoupled != 0};
    const bool with_velocity = momentum != 0.0f && vel != nullptr;
    kn::for_each_vec4(
        n, kn::aligned16(p) && kn::aligned16(g) && (!with_velocity || kn::aligned16(vel)),
        [=](unsigned i) {
            float4 pv = kn::load4(p, i);
            const float4 gv = kn::load4(g, i);
            if (with_velocity) {
                float4 vv = kn::load4(vel, i);
                sgd.step(pv.x, gv.x, &vv.x);
                sgd.step(pv.y, gv.y, &vv.y);
                sgd.step(pv.z, gv.z, &vv.z);
                sgd.step(pv.w, gv.w, &vv.w);
                kn::store4(vel, i, vv);
            } else {
                sgd.step(pv.x, gv.x, nullptr);
                sgd.step(pv.y, gv.y, nullptr);
                sgd.step(pv.z, gv.z, nullptr);
                sgd.step(pv.w, gv.w, nullptr);
            }
            kn::store4(p, i, pv);
        },
        [=](unsigned i) { sgd.step(p[i], g[i], with_velocity ? &vel[i] : nullptr); });
}

// bias_correctionX = 1 - betaX^t, computed on the host in double. keras_epsilon: AdamEpsilon.KERAS (1) or
// PYTORCH (0).
extern "C" __global__ void kn_adam(float* p, const float* g, float* m, float* v, int n, float lr, float beta1,
                                   float beta2, float eps, int keras_epsilon, float weight_decay, int decoupled,
                                   float bias_correction1, float bias_correction2, const float* halt,
                                   const float* step_inputs) {
    if (halt != nullptr && *halt != 0.0f) return;
    if (step_inputs != nullptr) {
        lr = step_inputs[0];
        bias_correction1 = step_inputs[1];
        bias_correction2 = step_inputs[2];
    }
    const float keras_step_size = lr * sqrtf(bias_correction2) / bias_correction1;
    const optim::Adam adam{lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2, keras_step_size,
                           keras_epsilon != 0, decoupled != 0};
    kn::for_each_vec4(
        n, kn::aligned16(p) && kn::aligned16(g) && kn::aligned16(m) && kn::aligned16(v),
        [=](unsigned i) {
            float4 pv = kn::load4(p, i);
            const float4 gv = kn::load4(g, i);
            float4 mv = kn::load4(m, i);
            float4 vv = kn::load4(v, i);
            adam.step(pv.x, gv.x, mv.x, vv.x);
            adam.step(pv.y, gv.y, mv.y, vv.y);
            adam.step(pv.z, gv.z, mv.z, vv.z);
            adam.step(pv.w, gv.w, mv.w, vv.w);
            kn::store4(p, i, pv);
            kn::store4(m, i, mv);
            kn::store4(v, i, vv);
        },
        [=](unsigned i) { adam.step(p[i], g[i], m[i], v[i]); });
}

// Elementwise launch: *halt = 1 when x[0, n) holds a NaN or an infinity, else *halt is not written (a sticky flag;
// every writer stores the same value, so the race is benign).
extern "C" __global__ void kn_flag_nonfinite(float* halt, const float* x, int n) {
    bool bad = false;
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < static_cast<unsigned>(n);
         i += gridDim.x * blockDim.x) {
        bad |= !isfinite(x[i]);
    }
    if (bad) *halt = 1.0f;
}

// One thread, before each replay of a captured training step: the values that change between steps, as the step's
// kernels read them (kn_dropout_forward's offset_base, the optimizers' step_inputs). Passed by value, so the host
// needs no pinned buffer that must outlive the launch.
extern "C" __global__ void kn_set_step_inputs(unsigned long long* offset_base, float* step_inputs,
                                              unsigned long long offset, float lr, float bias_correction1,
                                              float bias_correction2) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    *offset_base = offset;
    step_inputs[0] = lr;
    step_inputs[1] = bias_correction1;
    step_inputs[2] = bias_correction2;
}
