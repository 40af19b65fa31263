// Runs kernels/conv2d.cu, pool2d.cu, bias.cu and the GEMM epilogue kernels of gemm.cu on the host (the emulated
// device's SIMT runtime, native/cuda-emulator/simt.h)
// against a direct transcription of the CPU reference's definitions (CpuConv, CpuPool, CpuActivations.biasForward/
// biasBackward, a double GEMM), for shapes that reach every edge: stride 2, dilation 2, asymmetric ('same')
// padding, odd sizes, several 64-row and 64-column tiles, K not a multiple of 16, split-K; the fused
// bias-activation with and without a bias, in place, on float4 and scalar paths, with one and several sample
// splits; the GEMM with bias and activation in its epilogue on both tiles, partial tiles, float4 and scalar stores.
// Then the training step's device-side pieces (optim.cu, dropout.cu): the optimizers against CpuOptimizers'
// formulas, their halt flag and the step scalars they read, kn_flag_nonfinite, and dropout's generator position.
// The softmax family over an axis other than the last (softmax.cu's axis kernels) against CpuActivations, in place too.
// Build and run: native/host-emulation/run.sh
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "../../kernels/bias.cu"
#include "../../kernels/conv2d.cu"
#include "../../kernels/gemm.cu"
#include "../../kernels/pool2d.cu"
#include "../../kernels/optim.cu"
#include "../../kernels/dropout.cu"
#include "../../kernels/softmax.cu"

template <class F>
void launch(unsigned gx, unsigned gy, unsigned gz, F kernel) {
    if (!kn_emu::run_grid({gx, gy, gz}, {256, 1, 1}, kernel)) {
        std::printf("launch failed: %s\n", kn_emu::why());
        std::exit(1);
    }
}

static unsigned cdiv(long a, long b) { return static_cast<unsigned>((a + b - 1) / b); }
static int failures = 0;

static void check(const char* what, const std::vector<float>& got, const std::vector<double>& want,
                  const std::vector<double>& scale, double bound) {
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        double err = std::isnan(got[i]) ? INFINITY : std::fabs(got[i] - want[i]) / std::max(scale[i], 1e-30);
        if (std::fabs(got[i] - want[i]) == 0) err = 0;
        if (err > worst) { worst = err; at = i; }
    }
    bool ok = worst <= bound;
    if (!ok) failures++;
    std::printf("  %-18s %9zu values  max err %.3g (bound %.3g) %s", what, got.size(), worst, bound, ok ? "ok" : "FAIL");
    if (!ok) std::printf(" at %zu: got %.9g want %.9g", at, got[at], want[at]);
    std::printf("\n");
}

static std::mt19937 rng(12345);
static std::vector<float> random(size_t n) {
    std::uniform_real_distribution<float> d(-1, 1);
    std::vector<float> v(n);
    for (auto& e : v) e = d(rng);
    return v;
}

struct Geo { int n, ci, h, w, co, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw; };

static void conv_case(Geo g, int splits_wanted) {
    int oh = (g.h + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh + 1;
    int ow = (g.w + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw + 1;
    std::printf("conv n=%d cin=%d %dx%d cout=%d k=%dx%d stride=%dx%d pad=%d/%d/%d/%d dil=%dx%d -> %dx%d\n", g.n, g.ci,
                g.h, g.w, g.co, g.kh, g.kw, g.sh, g.sw, g.pt, g.pb, g.pl, g.pr, g.dh, g.dw, oh, ow);
    auto x = random((size_t)g.n * g.ci * g.h * g.w);
    auto w = random((size_t)g.co * g.ci * g.kh * g.kw);
    auto dy = random((size_t)g.n * g.co * oh * ow);
    std::vector<double> y_ref(dy.size()), y_scale(dy.size()), dx_ref(x.size()), dx_scale(x.size()),
        dw_ref(w.size()), dw_scale(w.size());
    auto X = [&](int s, int c, int i, int j) { return x[((size_t)(s * g.ci + c) * g.h + i) * g.w + j]; };
    for (int s = 0; s < g.n; ++s)
        for (int co = 0; co < g.co; ++co)
            for (int a = 0; a < oh; ++a)
                for (int b = 0; b < ow; ++b) {
                    size_t yi = ((size_t)(s * g.co + co) * oh + a) * ow + b;
                    for (int c = 0; c < g.ci; ++c)
                        for (int i = 0; i < g.kh; ++i)
                            for (int j = 0; j < g.kw; ++j) {
                                int ih = a * g.sh + i * g.dh - g.pt, iw = b * g.sw + j * g.dw - g.pl;
                                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                                size_t wi = ((size_t)(co * g.ci + c) * g.kh + i) * g.kw + j;
                                size_t xi = ((size_t)(s * g.ci + c) * g.h + ih) * g.w + iw;
                                y_ref[yi] += (double)w[wi] * x[xi];
                                y_scale[yi] += std::fabs((double)w[wi] * x[xi]);
                                dx_ref[xi] += (double)w[wi] * dy[yi];
                                dx_scale[xi] += std::fabs((double)w[wi] * dy[yi]);
                                dw_ref[wi] += (double)dy[yi] * x[xi];
                                dw_scale[wi] += std::fabs((double)dy[yi] * x[xi]);
                            }
                }
    (void)X;
    KnConvShape s{g.n, g.ci, g.h, g.w, g.co, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, oh, ow, 0};
    const double u = std::ldexp(1.0, -24);
    auto bound = [&](long k) { double n = k + 2; return 2 * n * u / (1 - n * u); };

    std::vector<float> y(dy.size(), NAN);
    launch(cdiv((long)g.n * oh * ow, 64), cdiv(g.co, 64), 1, [&] { kn_conv2d_forward(y.data(), x.data(), w.data(), s); });
    check("forward y", y, y_ref, y_scale, bound((long)g.ci * g.kh * g.kw));

    std::vector<float> dx(x.size(), NAN);
    launch(cdiv((long)g.n * g.h * g.w, 64), cdiv(g.ci, 64), 1,
           [&] { kn_conv2d_backward_data(dx.data(), dy.data(), w.data(), s); });
    check("backward-data dx", dx, dx_ref, dx_scale, bound((long)g.co * g.kh * g.kw));

    long K = (long)g.n * oh * ow;
    int chunk = (int)(cdiv(cdiv(K, splits_wanted), 16) * 16);
    int splits = (int)cdiv(K, chunk);
    s.k_per_split = chunk;
    int filters = g.ci * g.kh * g.kw;
    std::vector<float> partials((size_t)splits * g.co * filters, NAN), dw(w.size(), NAN);
    launch(cdiv(filters, 64), cdiv(g.co, 64), splits,
           [&] { kn_conv2d_backward_filter(splits == 1 ? dw.data() : partials.data(), dy.data(), x.data(), s); });
    if (splits > 1) {
        int count = (int)dw.size();
        launch(cdiv(count, 256), 1, 1, [&] { kn_conv2d_sum_splits(dw.data(), partials.data(), count, splits); });
    }
    char label[64];
    std::snprintf(label, sizeof label, "bwd-filter dw (%d split%s)", splits, splits > 1 ? "s" : "");
    check(label, dw, dw_ref, dw_scale, bound(K));
}

struct PGeo { int n, c, h, w, kh, kw, sh, sw, pt, pb, pl, pr; };

static void pool_case(PGeo g, bool ties) {
    int oh = (g.h + g.pt + g.pb - g.kh) / g.sh + 1, ow = (g.w + g.pl + g.pr - g.kw) / g.sw + 1;
    std::printf("pool n=%d c=%d %dx%d window=%dx%d stride=%dx%d pad=%d/%d/%d/%d -> %dx%d%s\n", g.n, g.c, g.h, g.w,
                g.kh, g.kw, g.sh, g.sw, g.pt, g.pb, g.pl, g.pr, oh, ow, ties ? " (ties)" : "");
    auto x = random((size_t)g.n * g.c * g.h * g.w);
    if (ties) for (auto& v : x) v = std::round(v * 2) / 2;
    auto dy = random((size_t)g.n * g.c * oh * ow);
    // CpuPool, transcribed
    std::vector<double> y_ref(dy.size()), am_ref(dy.size()), dx_ref(x.size()), ya_ref(dy.size()), dxa_ref(x.size());
    std::vector<float> dxm(x.size(), 0.f), dxa(x.size(), 0.f);
    for (int p = 0; p < g.n * g.c; ++p)
        for (int a = 0; a < oh; ++a)
            for (int b = 0; b < ow; ++b) {
                int r0 = std::max(a * g.sh - g.pt, 0), r1 = std::min(a * g.sh - g.pt + g.kh, g.h);
                int c0 = std::max(b * g.sw - g.pl, 0), c1 = std::min(b * g.sw - g.pl + g.kw, g.w);
                const float* xp = &x[(size_t)p * g.h * g.w];
                int best = r0 * g.w + c0;
                float bv = xp[best];
                double sum = 0;
                for (int i = r0; i < r1; ++i)
                    for (int j = c0; j < c1; ++j) {
                        float v = xp[i * g.w + j];
                        if (v > bv) { bv = v; best = i * g.w + j; }
                        sum += v;
                    }
                size_t q = ((size_t)p * oh + a) * ow + b;
                y_ref[q] = bv;
                am_ref[q] = best;
                int count = (r1 - r0) * (c1 - c0);
                ya_ref[q] = (float)(sum / count);
                dxm[(size_t)p * g.h * g.w + best] += dy[q];
                float share = (float)((double)dy[q] / count);
                for (int i = r0; i < r1; ++i)
                    for (int j = c0; j < c1; ++j) dxa[(size_t)p * g.h * g.w + i * g.w + j] += share;
            }
    for (size_t i = 0; i < x.size(); ++i) { dx_ref[i] = dxm[i]; dxa_ref[i] = dxa[i]; }
    KnPoolShape s{g.n, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, oh, ow};
    std::vector<double> one_y(dy.size(), 1.0), one_x(x.size(), 1.0);
    std::vector<float> y(dy.size(), NAN), am(dy.size(), NAN), dx(x.size(), NAN), ya(dy.size(), NAN), dxa_k(x.size(), NAN);
    unsigned gy = cdiv(dy.size(), 256) > 7 ? 7 : cdiv(dy.size(), 256);  // fewer blocks than elements: grid-stride
    unsigned gx = cdiv(x.size(), 256) > 5 ? 5 : cdiv(x.size(), 256);
    launch(gy, 1, 1, [&] { kn_maxpool2d_forward(y.data(), am.data(), x.data(), s); });
    check("max y", y, y_ref, one_y, 0);
    check("max argmax", am, am_ref, one_y, 0);
    launch(gx, 1, 1, [&] { kn_maxpool2d_backward(dx.data(), dy.data(), am.data(), s); });
    check("max dx", dx, dx_ref, one_x, 0);
    launch(gy, 1, 1, [&] { kn_avgpool2d_forward(ya.data(), x.data(), s); });
    check("avg y", ya, ya_ref, one_y, 0);
    launch(gx, 1, 1, [&] { kn_avgpool2d_backward(dxa_k.data(), dy.data(), s); });
    check("avg dx", dxa_k, dxa_ref, one_x, 0);
}

static void expect(const char* what, bool ok) {
    if (!ok) failures++;
    std::printf("  %-58s %s\n", what, ok ? "ok" : "FAIL");
}

static bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](float x, float y) {
        return std::memcmp(&x, &y, sizeof x) == 0;
    });
}

// A StepScalars tensor (src/io/kernelnet/backend/StepScalars.java): lr, then the step and the generator position as
// three 21-bit words each, low word first.
static std::vector<float> step_scalars(float lr, unsigned long long step, unsigned long long generator) {
    std::vector<float> s(8, 0.0f);
    s[kn::STEP_LEARNING_RATE] = lr;
    for (int w = 0; w < 3; ++w) {
        s[kn::STEP_NUMBER + w] = static_cast<float>((step >> (21 * w)) & 0x1fffff);
        s[kn::STEP_GENERATOR_OFFSET + w] = static_cast<float>((generator >> (21 * w)) & 0x1fffff);
    }
    return s;
}

// Adam with either epsilon placement (CpuOptimizers.adam, double) and SGD with momentum, L2 or decoupled weight decay
// (CpuOptimizers.sgd) over n = 1003 (float4 groups and a scalar tail, grid 2 for the grid stride, so two blocks
// compute the bias corrections): the kernel within 1e-6 of the reference, the learning rate and the step number
// read from the step scalars (a learning rate of 0 there leaves the parameters as they were); nothing written while
// halt is set.
static void optimizer_cases() {
    std::printf("optimizers, halt flag, step scalars\n");
    const int n = 1003;
    const float lr = 1e-2f, b1 = 0.9f, b2 = 0.999f, eps = 1e-3f;  // eps large enough that its placement shows
    const long step = 3;
    const double c1 = 1 - std::pow((double) b1, step), c2 = 1 - std::pow((double) b2, step);
    const std::vector<float> scalars = step_scalars(lr, step, 0), no_rate = step_scalars(0.0f, step, 0);
    std::vector<float> p0 = random(n), g = random(n), m0 = random(n), v0(n);
    for (int i = 0; i < n; ++i) v0[i] = std::fabs(m0[i]) * 0.01f;
    std::vector<double> want_pytorch(n), want_keras(n), scale(n, 1.0);
    for (int i = 0; i < n; ++i) {
        double mi = b1 * (double) m0[i] + (1 - b1) * (double) g[i];
        double vi = b2 * (double) v0[i] + (1 - b2) * (double) g[i] * g[i];
        want_pytorch[i] = p0[i] - lr * (mi / c1) / (std::sqrt(vi / c2) + eps);
        want_keras[i] = p0[i] - lr * std::sqrt(c2) / c1 * mi / (std::sqrt(vi) + eps);
    }
    double placement_gap = 0;
    for (int i = 0; i < n; ++i) placement_gap = std::max(placement_gap, std::fabs(want_keras[i] - want_pytorch[i]));
    expect("adam: the placements differ by far more than the bound", placement_gap > 1e-4);
    auto adam = [&](std::vector<float>& p, std::vector<float>& m, std::vector<float>& v, int keras,
                    const std::vector<float>& at, const float* halt) {
        p = p0;
        m = m0;
        v = v0;
        launch(2, 1, 1, [&] {
            kn_adam(p.data(), g.data(), m.data(), v.data(), at.data(), halt, n, b1, b2, eps, keras, 0.0f, 0);
        });
    };
    std::vector<float> p, m, v, p2, m2, v2;
    for (int keras = 0; keras < 2; ++keras) {
        adam(p, m, v, keras, scalars, nullptr);
        check(keras ? "adam, keras eps" : "adam, pytorch eps", p, keras ? want_keras : want_pytorch, scale, 1e-6);
        adam(p2, m2, v2, keras, no_rate, nullptr);
        expect("adam: the learning rate comes from the step scalars", same_bits(p2, p0) && same_bits(m, m2));
    }
    adam(p, m, v, 0, scalars, nullptr);
    adam(p2, m2, v2, 0, step_scalars(lr, step + 1, 0), nullptr);
    expect("adam: the step number comes from the step scalars", !same_bits(p, p2) && same_bits(m, m2));
    float halt = 1.0f;
    adam(p2, m2, v2, 0, scalars, &halt);
    expect("adam: nothing written while halt is set", same_bits(p2, p0) && same_bits(m2, m0) && same_bits(v2, v0));
    float clear = 0.0f;
    adam(p, m, v, 0, scalars, nullptr);
    adam(p2, m2, v2, 0, scalars, &clear);
    expect("adam: a clear halt changes nothing", same_bits(p, p2));

    const float wd = 0.1f;
    auto sgd = [&](std::vector<float>& q, std::vector<float>& vel, int decoupled, const std::vector<float>& at,
                   const float* halt_flag) {
        q = p0;
        vel = m0;
        launch(2, 1, 1,
               [&] { kn_sgd(q.data(), g.data(), vel.data(), at.data(), halt_flag, n, 0.9f, 1, wd, decoupled); });
    };
    std::vector<double> want_l2(n), want_decoupled(n);
    for (int i = 0; i < n; ++i) {
        double gi = g[i] + (double) wd * p0[i];
        double vi = 0.9 * (double) m0[i] + gi;
        want_l2[i] = p0[i] - lr * (gi + 0.9 * vi);
        vi = 0.9 * (double) m0[i] + g[i];
        want_decoupled[i] = p0[i] * (1 - (double) lr * wd) - lr * (g[i] + 0.9 * vi);
    }
    std::vector<float> q, vel, q2, vel2;
    for (int decoupled = 0; decoupled < 2; ++decoupled) {
        sgd(q, vel, decoupled, scalars, nullptr);
        check(decoupled ? "sgd nesterov, decoupled decay" : "sgd nesterov, L2 decay", q,
              decoupled ? want_decoupled : want_l2, scale, 1e-6);
        sgd(q2, vel2, decoupled, no_rate, nullptr);
        expect("sgd: the learning rate comes from the step scalars", same_bits(q2, p0) && same_bits(vel, vel2));
    }
    sgd(q2, vel2, 1, scalars, &halt);
    expect("sgd: nothing written while halt is set", same_bits(q2, p0) && same_bits(vel2, m0));
}

static void flag_and_step_scalar_cases() {
    std::printf("flag_nonfinite, step scalars, dropout's generator position\n");
    const int n = 3001;
    std::vector<float> x = random(n);
    float halt = 0.0f;
    launch(2, 1, 1, [&] { kn_flag_nonfinite(&halt, x.data(), n); });
    expect("flag_nonfinite: all finite leaves 0", halt == 0.0f);
    for (float bad : {NAN, INFINITY, -INFINITY}) {
        std::vector<float> y = x;
        y[std::uniform_int_distribution<int>(0, n - 1)(rng)] = bad;
        halt = 0.0f;
        launch(2, 1, 1, [&] { kn_flag_nonfinite(&halt, y.data(), n); });
        bool set = halt == 1.0f;
        launch(2, 1, 1, [&] { kn_flag_nonfinite(&halt, x.data(), n); });
        expect(bad != bad ? "flag_nonfinite: a NaN sets it, and it stays set" : "flag_nonfinite: an infinity sets it",
               set && halt == 1.0f);
    }
    const unsigned long long big = 0x7edcba9876543210ull;  // every bit of every word of a count
    const std::vector<float> scalars = step_scalars(0.25f, big, big >> 1);
    expect("step scalars: the step and the generator position read back whole",
           kn::step_count(scalars.data(), kn::STEP_NUMBER) == big &&
               kn::step_count(scalars.data(), kn::STEP_GENERATOR_OFFSET) == big >> 1);

    // dropout: offset 5 with the generator at 2^50 + 2^32 + 7 draws what offset 2^50 + 2^32 + 12 draws at 0
    std::vector<float> y1(n), mask1(n), y2(n), mask2(n);
    const unsigned long long seed = 0x5eed, position = (1ull << 50) + (1ull << 32) + 7;
    const std::vector<float> at_zero = step_scalars(0.0f, 1, 0), at_position = step_scalars(0.0f, 1, position);
    launch(2, 1, 1, [&] {
        kn_dropout_forward(y1.data(), mask1.data(), x.data(), at_zero.data(), n, 0.3f, seed, position + 5);
    });
    launch(2, 1, 1, [&] {
        kn_dropout_forward(y2.data(), mask2.data(), x.data(), at_position.data(), n, 0.3f, seed, 5);
    });
    expect("dropout: the step's generator position adds to the offset", same_bits(y1, y2) && same_bits(mask1, mask2));
    launch(2, 1, 1, [&] { kn_dropout_forward(y2.data(), mask2.data(), x.data(), at_zero.data(), n, 0.3f, seed, 5); });
    expect("dropout: another position draws another mask", !same_bits(mask1, mask2));
}

// kn_softmax_axis_forward/backward over [outer, k, inner] against CpuActivations (double sums, rounded once), with
// the rounding bounds of the kernels' float arithmetic, u = 2^-24, expf and logf within 2 ulp:
//   softmax y = expf(x - m) / s, s a sum of k terms, x - m rounded (u |x - m| in the exponent): relative
//   (k + 4 + |x - m|) u;
//   log-softmax y = (x - m) - logf(s): (k + 4) u of 1 + |x - m| + log s;
//   softmax dx = y (dy - dot), dot a sum of k terms: (k + 2) u of |y| (sum |dy y| + |dy - dot|) + |dx|;
//   log-softmax dx = dy - expf(y) sum(dy): (k + 3) u of exp(y) (sum |dy| + |sum dy|) + |dx|.
// Grid 2 (512 threads): more lines than threads takes the grid stride.
static void softmax_axis_case(int outer, int k, int inner) {
    std::printf("softmax over axis: outer=%d k=%d inner=%d\n", outer, k, inner);
    const size_t count = (size_t)outer * k * inner;
    const double u = std::ldexp(1.0, -24);
    std::vector<float> x = random(count), dy = random(count);
    for (auto& v : x) v *= 3;
    std::vector<float> y_host[2];
    for (int log = 0; log < 2; ++log) {
        std::vector<double> want(count), scale(count), dx_want(count), dx_scale(count);
        y_host[log].resize(count);
        for (int o = 0; o < outer; ++o)
            for (int i = 0; i < inner; ++i) {
                const size_t base = (size_t)o * k * inner + i;
                float m = x[base];
                for (int j = 1; j < k; ++j) m = std::max(m, x[base + (size_t)j * inner]);
                double s = 0;
                for (int j = 0; j < k; ++j) s += std::exp((double)x[base + (size_t)j * inner] - m);
                const double lse = m + std::log(s);
                for (int j = 0; j < k; ++j) {
                    const size_t at = base + (size_t)j * inner;
                    y_host[log][at] = (float)(log ? x[at] - lse : std::exp(x[at] - lse));
                    want[at] = y_host[log][at];
                    scale[at] = log ? (k + 4) * (1 + std::fabs((double)x[at] - m) + std::log(s))
                                    : std::fabs(want[at]) * (k + 4 + std::fabs((double)x[at] - m));
                }
                double dot = 0, abs_dot = 0, sum = 0, abs_sum = 0;
                for (int j = 0; j < k; ++j) {
                    const size_t at = base + (size_t)j * inner;
                    dot += (double)dy[at] * y_host[log][at];
                    abs_dot += std::fabs((double)dy[at] * y_host[log][at]);
                    sum += dy[at];
                    abs_sum += std::fabs(dy[at]);
                }
                for (int j = 0; j < k; ++j) {
                    const size_t at = base + (size_t)j * inner;
                    const double yv = y_host[log][at];
                    dx_want[at] = (float)(log ? dy[at] - std::exp(yv) * sum : yv * (dy[at] - dot));
                    dx_scale[at] = (log ? (k + 3) * (std::exp(yv) * (abs_sum + std::fabs(sum)) + std::fabs(dx_want[at]))
                                        : (k + 2) * (std::fabs(yv) * (abs_dot + std::fabs(dy[at] - dot))
                                                     + std::fabs(dx_want[at])));
                }
            }
        std::vector<float> y(count, NAN), dx(count, NAN);
        launch(2, 1, 1, [&] { kn_softmax_axis_forward(y.data(), x.data(), outer, k, inner, log); });
        check(log ? "log-softmax y" : "softmax y", y, want, scale, u);
        std::vector<float> inplace = x;
        launch(2, 1, 1, [&] { kn_softmax_axis_forward(inplace.data(), inplace.data(), outer, k, inner, log); });
        expect("forward in place: the same bits", same_bits(inplace, y));
        launch(2, 1, 1, [&] { kn_softmax_axis_backward(dx.data(), dy.data(), y_host[log].data(), outer, k, inner, log); });
        check(log ? "log-softmax dx" : "softmax dx", dx, dx_want, dx_scale, u);
    }
}

// kn_bias_add on the float4 path and, one float off alignment, the scalar path: exactly y + bias[ch] in float
static void bias_add_case(int n, int c, int inner, bool misalign) {
    std::printf("bias_add n=%d c=%d inner=%d%s\n", n, c, inner, misalign ? " misaligned" : "");
    const size_t total = (size_t)n * c * inner;
    std::vector<float> storage = random(total + 1), bias = random(c);
    float* y = storage.data() + (misalign ? 1 : 0);
    std::vector<double> want(total), scale(total, 1.0);
    for (size_t e = 0; e < total; ++e) want[e] = (float)(y[e] + bias[(e / inner) % c]);
    launch(cdiv((long)total, 256), 1, 1, [&] { kn_bias_add(y, bias.data(), n, c, inner); });
    check("y", std::vector<float>(y, y + total), want, scale, 0);
}

// kn_bias_grad (one block per channel, bias::channel_sum's order) against a double sum over the channel,
// bounded relative to the sum of |dy| by the float rounding of count additions
static void bias_grad_case(int n, int c, int inner) {
    std::printf("bias_grad n=%d c=%d inner=%d\n", n, c, inner);
    std::vector<float> dy = random((size_t)n * c * inner), dbias(c, NAN);
    std::vector<double> want(c, 0.0), scale(c, 0.0);
    for (int i = 0; i < n; ++i)
        for (int ch = 0; ch < c; ++ch)
            for (int j = 0; j < inner; ++j) {
                const float v = dy[((size_t)i * c + ch) * inner + j];
                want[ch] += v;
                scale[ch] += std::fabs(v);
            }
    launch(c, 1, 1, [&] { kn_bias_grad(dbias.data(), dy.data(), n, c, inner); });
    const double u = std::ldexp(1.0, -24), terms = (double)n * inner;
    check("dbias", dbias, want, scale, terms * u / (1 - terms * u));
}

// CpuActivations.apply / chain, transcribed (sigmoid and tanh in double, as the CPU)
static double act_ref(int act, float v, float alpha) {
    switch (act) {
        case 0: return std::max(v, 0.0f);
        case 1: return v > 0 ? v : alpha * v;
        case 2: return (float)(1.0 / (1.0 + std::exp(-(double)v)));
        default: return (float)std::tanh((double)v);
    }
}

static double chain_ref(int act, float g, float s, float alpha) {
    switch (act) {
        case 0: return s > 0 ? g : 0.0f;
        case 1: return s > 0 ? g : alpha * g;
        case 2: return g * s * (1 - s);
        default: return g * (1 - s * s);
    }
}

static const char* ACT_NAMES[] = {"relu", "leaky_relu", "sigmoid", "tanh"};

// misalign: every tensor one float past a 16-byte boundary, so the kernels take their scalar path
static void bias_activation_case(int n, int c, int inner, int act, bool with_bias, bool misalign, int splits_wanted) {
    const float alpha = 0.2f;
    const size_t count = (size_t)n * c * inner;
    std::printf("bias-activation %s n=%d c=%d inner=%d%s%s\n", ACT_NAMES[act], n, c, inner,
                with_bias ? "" : " no bias", misalign ? " misaligned" : "");
    const size_t off = misalign ? 1 : 0;
    auto zbuf = random(count + off), bbuf = random(c + off), dybuf = random(count + off);
    for (size_t i = 0; i < count; i += 7) zbuf[off + i] = with_bias ? -bbuf[off + (i / inner) % c] : 0.0f;  // z + b == 0
    const float* z = zbuf.data() + off;
    const float* bias = with_bias ? bbuf.data() + off : nullptr;
    const float* dy = dybuf.data() + off;
    std::vector<double> y_ref(count), y_scale(count), dz_ref(count), dz_scale(count), db_ref(c), db_scale(c);
    std::vector<float> y_host(count);
    for (size_t i = 0; i < count; ++i) {
        const int ch = (int)((i / inner) % c);
        const float v = with_bias ? z[i] + bias[ch] : z[i];
        y_host[i] = (float)act_ref(act, v, alpha);
        y_ref[i] = y_host[i];
        y_scale[i] = std::max(std::fabs(y_ref[i]), 0.1);
    }
    for (size_t i = 0; i < count; ++i) {
        const int ch = (int)((i / inner) % c);
        dz_ref[i] = (float)chain_ref(act, dy[i], y_host[i], alpha);
        dz_scale[i] = std::max(std::fabs(dz_ref[i]), 0.1);
        db_ref[ch] += dz_ref[i];
        db_scale[ch] += std::fabs(dz_ref[i]);
    }
    const bool exact = act <= 1;
    const unsigned elementwise_grid = std::min(cdiv((long)count, 256), 3u);  // fewer blocks than elements: grid-stride

    std::vector<float> ybuf(count + off, NAN);
    float* y = ybuf.data() + off;
    launch(elementwise_grid, 1, 1, [&] { kn_bias_activation_forward(y, z, bias, n, c, inner, act, alpha); });
    check("forward y", std::vector<float>(y, y + count), y_ref, y_scale, exact ? 0 : 1e-6);
    std::vector<float> inplace(zbuf);
    launch(elementwise_grid, 1, 1,
           [&] { kn_bias_activation_forward(inplace.data() + off, inplace.data() + off, bias, n, c, inner, act, alpha); });
    check("forward in place", std::vector<float>(inplace.begin() + off, inplace.end()), y_ref, y_scale, exact ? 0 : 1e-6);

    if (!with_bias) return;
    const int per_split = (int)cdiv(n, splits_wanted);
    const int splits = (int)cdiv(n, per_split);
    std::vector<float> dzbuf(count + off, NAN), partials((size_t)splits * c, NAN), dbias(c, NAN);
    float* dz = dzbuf.data() + off;
    std::vector<float> ybuf_in(count + off);
    std::copy(y_host.begin(), y_host.end(), ybuf_in.begin() + off);
    launch(c, splits, 1, [&] {
        kn_bias_activation_backward(dz, splits == 1 ? dbias.data() : partials.data(), dy, ybuf_in.data() + off, n, c,
                                    inner, act, alpha, per_split);
    });
    if (splits > 1) {
        launch(cdiv(c, 256), 1, 1, [&] { kn_conv2d_sum_splits(dbias.data(), partials.data(), c, splits); });
    }
    check("backward dz", std::vector<float>(dz, dz + count), dz_ref, dz_scale, exact ? 0 : 1e-6);
    char label[64];
    std::snprintf(label, sizeof label, "dbias (%d split%s)", splits, splits > 1 ? "s" : "");
    check(label, dbias, db_ref, db_scale, 1e-5);
}

// C = act(A B + bias) by kn_sgemm_bias_act_{64x64,128x128} against double sums: Higham's FP32 bound for K + 1
// terms (the bias one more) on sum |a b| + |bias|, plus 1 in the scale for sigmoid and tanh (their own few ulps of
// a value in (-1, 1)). act -1: none; without bias: NULL.
static void gemm_bias_act_case(int m, int n, int k, int tile, int act, bool with_bias) {
    std::printf("gemm bias-act %dx%d tile M=%d N=%d K=%d %s%s\n", tile, tile, m, n, k,
                act < 0 ? "no activation" : ACT_NAMES[act], with_bias ? "" : " no bias");
    const float alpha = 0.2f;
    auto a = random((size_t)m * k), b = random((size_t)k * n), bias = random(n);
    std::vector<double> want((size_t)m * n), scale((size_t)m * n);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double z = 0, s = 0;
            for (int p = 0; p < k; ++p) {
                z += (double)a[(size_t)i * k + p] * b[(size_t)p * n + j];
                s += std::fabs((double)a[(size_t)i * k + p] * b[(size_t)p * n + j]);
            }
            if (with_bias) {
                z += bias[j];
                s += std::fabs(bias[j]);
            }
            want[(size_t)i * n + j] = act < 0 ? z : act == 0 ? std::max(z, 0.0) : act == 1 ? (z > 0 ? z : alpha * z)
                                      : act == 2 ? 1 / (1 + std::exp(-z)) : std::tanh(z);
            scale[(size_t)i * n + j] = s + (act >= 2 ? 1 : 0);
        }
    std::vector<float> c((size_t)m * n, NAN);
    const float* bp = with_bias ? bias.data() : nullptr;
    if (tile == 128) {
        launch(cdiv(n, 128), cdiv(m, 128), 1,
               [&] { kn_sgemm_bias_act_128x128(c.data(), a.data(), b.data(), bp, m, n, k, act, alpha); });
    } else {
        launch(cdiv(n, 64), cdiv(m, 64), 1,
               [&] { kn_sgemm_bias_act_64x64(c.data(), a.data(), b.data(), bp, m, n, k, act, alpha); });
    }
    const double u = std::ldexp(1.0, -24), terms = k + 3;
    check("c", c, want, scale, 2 * terms * u / (1 - terms * u));
}

int main() {
    // n, cin, h, w, cout, kh, kw, sh, sw, pad top/bottom/left/right, dilation
    conv_case({1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1}, 1);
    conv_case({7, 3, 9, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 3);                // 'same' 3x3, batch 7
    conv_case({2, 3, 10, 9, 70, 3, 2, 2, 2, 0, 1, 0, 1, 1, 1}, 1);              // stride 2, 'same' extra bottom/right, 2 m-tiles
    conv_case({2, 5, 13, 12, 6, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2}, 4);              // dilation 2, mixed strides
    conv_case({3, 20, 7, 8, 9, 5, 4, 2, 1, 2, 2, 1, 2, 1, 1}, 2);               // K = 400: many k-tiles, 2 n-tiles in filter
    conv_case({4, 1, 28, 28, 32, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1}, 37);            // the cnn's first layer at batch 4
    conv_case({2, 32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1}, 5);            // second layer at batch 2
    conv_case({1, 2, 4, 4, 3, 4, 4, 3, 3, 0, 0, 0, 0, 1, 1}, 1);                // kernel = whole input
    // n, c, h, w, kh, kw, sh, sw, pad top/bottom/left/right
    pool_case({2, 3, 26, 26, 2, 2, 2, 2, 0, 0, 0, 0}, false);
    pool_case({3, 2, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1}, true);                      // overlapping, padded, ties
    pool_case({1, 2, 8, 7, 3, 2, 1, 2, 1, 1, 0, 1}, true);                      // stride 1, asymmetric padding
    pool_case({7, 1, 5, 5, 2, 2, 2, 2, 0, 1, 0, 1}, false);                     // 'same' on odd size
    bias_add_case(5, 7, 1, false);                                               // a Dense output, float4 groups across rows
    bias_add_case(3, 5, 13, true);                                               // NCHW, odd plane, scalar path
    bias_grad_case(5, 7, 1);                                                     // a Dense gradient [5, 7]
    bias_grad_case(3, 4, 333);                                                   // tails of the 4-way unroll
    bias_grad_case(2, 32, 26 * 26);                                              // conv1-like
    // n, c, inner, activation, bias, misaligned, splits
    for (int act = 0; act < 4; ++act) {
        bias_activation_case(5, 7, 1, act, true, false, 1);                     // a Dense output [5, 7]
        bias_activation_case(6, 3, 13, act, true, act % 2 == 1, 4);             // NCHW, odd plane, 3 splits
    }
    bias_activation_case(5, 32, 26 * 26 / 4, 0, true, false, 3);               // conv1-like, 3 splits (the last 1 sample)
    bias_activation_case(9, 5, 4, 3, false, false, 1);                          // no bias: forward only
    bias_activation_case(300, 2, 1, 1, true, true, 7);                          // long channels, more threads than per block
    // M, N, K, tile, activation (-1 none), bias
    gemm_bias_act_case(5, 7, 3, 64, 0, true);                                   // one partial tile, scalar C stores
    gemm_bias_act_case(130, 70, 37, 128, 2, true);                              // two row tiles, K not a multiple of 8
    gemm_bias_act_case(67, 128, 20, 64, 1, false);                              // float4 C stores, no bias
    gemm_bias_act_case(33, 10, 129, 64, 3, true);                               // a Dense 10 output
    gemm_bias_act_case(64, 129, 8, 128, -1, true);                              // bias only
    optimizer_cases();
    flag_and_step_scalar_cases();
    // outer, k, inner
    softmax_axis_case(2, 64, 35);                                                // the channels of [2, 64, 5, 7]
    softmax_axis_case(4, 5, 300);                                                // 1200 lines: the grid stride
    softmax_axis_case(1, 6, 5);                                                  // the first axis of [6, 5]
    std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
