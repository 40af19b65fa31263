// Optimizer steps over one flat run of parameters (SgdSettings and AdamSettings javadoc formulas).
// Elementwise launch, float4 path when every pointer used is 16-byte aligned. step_scalars is the step's
// StepScalars tensor: the learning rate and the step number are read there, on the device, never passed by value,
// so that a CUDA graph captured once takes each step's values. halt (NULL: none) is the device flag of a step found
// bad (kn_flag_nonfinite): while *halt != 0 the kernel writes nothing.
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
extern "C" __global__ void kn_sgd(float* p, const float* g, float* vel, const float* step_scalars, const float* halt,
                                  int n, float momentum, int nesterov, float weight_decay, int decoupled) {
    if (halt != nullptr && *halt != 0.0f) return;
    const float lr = step_scalars[kn::STEP_LEARNING_RATE];
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

// keras_epsilon: AdamEpsilon.KERAS (1) or PYTORCH (0).
extern "C" __global__ void kn_adam(float* p, const float* g, float* m, float* v, const float* step_scalars,
                                   const float* halt, int n, float beta1, float beta2, float eps, int keras_epsilon,
                                   float weight_decay, int decoupled) {
    // every thread reads the same flag, so all of a block return here or all reach the barrier below
    if (halt != nullptr && *halt != 0.0f) return;
    // bias_correctionX = 1 - betaX^t from the step number t, in double and rounded once (in float, 1 - 0.999^t loses
    // most of its digits at small t), as AdamSettings.biasCorrection computes it; by one thread per block, for
    // double pow is slow on most GPUs
    __shared__ float bias_corrections[2];
    if (threadIdx.x == 0) {
        const double t = static_cast<double>(kn::step_count(step_scalars, kn::STEP_NUMBER));
        bias_corrections[0] = static_cast<float>(1.0 - pow(static_cast<double>(beta1), t));
        bias_corrections[1] = static_cast<float>(1.0 - pow(static_cast<double>(beta2), t));
    }
    __syncthreads();
    const float lr = step_scalars[kn::STEP_LEARNING_RATE];
    const float bias_correction1 = bias_corrections[0];
    const float bias_correction2 = bias_corrections[1];
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
