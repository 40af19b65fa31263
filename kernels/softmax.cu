// The softmax family over one axis, and the softmax cross-entropy losses. A tensor is seen as [outer, k, inner]
// around the axis (k values per line, stride inner); softmax is max-subtracted.
// The last axis (inner = 1, rows = outer) and the losses: "row" kernels, one warp per row, block 256 (8 rows),
// grid = ceil(rows / 8). Each lane walks columns lane, lane + 32, ...; row maxima and sums are butterfly reductions,
// so every lane holds the same values. Any other axis (inner > 1, e.g. the channels of NCHW): the "axis" kernels,
// an elementwise launch over the outer * inner lines, each thread walking its line (neighbouring threads read
// neighbouring addresses) and summing in float in index order. An output may alias its input (each lane or thread
// reads an element before writing it, and all reads of a line finish before its first write).
#include <math_constants.h>

#include "common.cuh"

namespace softmax {

__device__ __forceinline__ float row_max(const float* x, int k, int lane) {
    float m = -CUDART_INF_F;
    for (int j = lane; j < k; j += 32) m = fmaxf(m, x[j]);
    return kn::warp_max(m);
}

// sum of exp(x - m) over the row
__device__ __forceinline__ float row_sum_exp(const float* x, int k, int lane, float m) {
    float s = 0.0f;
    for (int j = lane; j < k; j += 32) s += expf(x[j] - m);
    return kn::warp_sum(s);
}

__device__ __forceinline__ float row_sum(const float* x, int k, int lane) {
    float s = 0.0f;
    for (int j = lane; j < k; j += 32) s += x[j];
    return kn::warp_sum(s);
}

// The first element of line `line` of [outer, k, inner], lines numbered outer-major.
__device__ __forceinline__ size_t line_start(unsigned line, int k, int inner) {
    const unsigned o = line / static_cast<unsigned>(inner);
    const unsigned i = line - o * static_cast<unsigned>(inner);
    return static_cast<size_t>(o) * k * inner + i;
}

// y = softmax(x) of each row, or with LOG log_softmax(x) = x - max - log(sum(exp(x - max))).
template <bool LOG>
__device__ __forceinline__ void forward_rows(float* y, const float* x, int rows, int k) {
    const int row = kn::warp_row();
    if (row >= rows) return;
    const int lane = kn::lane_id();
    const float* xr = x + static_cast<size_t>(row) * k;
    float* yr = y + static_cast<size_t>(row) * k;
    const float m = row_max(xr, k, lane);
    const float s = row_sum_exp(xr, k, lane, m);
    if (LOG) {
        const float log_s = logf(s);
        for (int j = lane; j < k; j += 32) yr[j] = (xr[j] - m) - log_s;
    } else {
        for (int j = lane; j < k; j += 32) yr[j] = expf(xr[j] - m) / s;
    }
}

// Softmax: dx = y * (dy - sum(dy * y)); with LOG, log-softmax: dx = dy - exp(y) * sum(dy); along each row.
template <bool LOG>
__device__ __forceinline__ void backward_rows(float* dx, const float* dy, const float* y, int rows, int k) {
    const int row = kn::warp_row();
    if (row >= rows) return;
    const int lane = kn::lane_id();
    const size_t base = static_cast<size_t>(row) * k;
    if (LOG) {
        const float s = row_sum(dy + base, k, lane);
        for (int j = lane; j < k; j += 32) dx[base + j] = dy[base + j] - expf(y[base + j]) * s;
    } else {
        float dot = 0.0f;
        for (int j = lane; j < k; j += 32) dot += dy[base + j] * y[base + j];
        dot = kn::warp_sum(dot);
        for (int j = lane; j < k; j += 32) dx[base + j] = y[base + j] * (dy[base + j] - dot);
    }
}

// The losses' frame: one warp per row, row_loss(row, base = row * k, lane) for this warp's row (0 past the last
// row, where it is not called), and the block's sum of its rows' losses in partial_loss[blockIdx.x].
template <typename RowLoss>
__device__ __forceinline__ void block_of_row_losses(float* partial_loss, int rows, int k, RowLoss row_loss) {
    const int row = kn::warp_row();
    const int lane = kn::lane_id();
    const float loss = row < rows ? row_loss(row, static_cast<size_t>(row) * k, lane) : 0.0f;
    const float total = kn::block_sum(lane == 0 ? loss : 0.0f);
    if (threadIdx.x == 0) partial_loss[blockIdx.x] = total;
}

}  // namespace softmax

extern "C" __global__ void kn_softmax_forward(float* y, const float* x, int rows, int k) {
    softmax::forward_rows<false>(y, x, rows, k);
}

extern "C" __global__ void kn_softmax_backward(float* dx, const float* dy, const float* y, int rows, int k) {
    softmax::backward_rows<false>(dx, dy, y, rows, k);
}

extern "C" __global__ void kn_log_softmax_forward(float* y, const float* x, int rows, int k) {
    softmax::forward_rows<true>(y, x, rows, k);
}

extern "C" __global__ void kn_log_softmax_backward(float* dx, const float* dy, const float* y, int rows, int k) {
    softmax::backward_rows<true>(dx, dy, y, rows, k);
}

// y = softmax (log_softmax != 0: log-softmax) of each line of [outer, k, inner], as the row kernels above.
extern "C" __global__ void kn_softmax_axis_forward(float* y, const float* x, int outer, int k, int inner,
                                                   int log_softmax) {
    const unsigned lines = static_cast<unsigned>(outer) * static_cast<unsigned>(inner);
    for (unsigned line = blockIdx.x * blockDim.x + threadIdx.x; line < lines; line += gridDim.x * blockDim.x) {
        const float* xl = x + softmax::line_start(line, k, inner);
        float* yl = y + softmax::line_start(line, k, inner);
        float m = -CUDART_INF_F;
        for (int j = 0; j < k; ++j) m = fmaxf(m, xl[static_cast<size_t>(j) * inner]);
        float s = 0.0f;
        for (int j = 0; j < k; ++j) s += expf(xl[static_cast<size_t>(j) * inner] - m);
        const float log_s = logf(s);
        for (int j = 0; j < k; ++j) {
            const size_t at = static_cast<size_t>(j) * inner;
            yl[at] = log_softmax ? (xl[at] - m) - log_s : expf(xl[at] - m) / s;
        }
    }
}

// Softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy); along each line.
extern "C" __global__ void kn_softmax_axis_backward(float* dx, const float* dy, const float* y, int outer, int k,
                                                    int inner, int log_softmax) {
    const unsigned lines = static_cast<unsigned>(outer) * static_cast<unsigned>(inner);
    for (unsigned line = blockIdx.x * blockDim.x + threadIdx.x; line < lines; line += gridDim.x * blockDim.x) {
        const size_t base = softmax::line_start(line, k, inner);
        float s = 0.0f;
        for (int j = 0; j < k; ++j) {
            const size_t at = base + static_cast<size_t>(j) * inner;
            s += log_softmax ? dy[at] : dy[at] * y[at];
        }
        for (int j = 0; j < k; ++j) {
            const size_t at = base + static_cast<size_t>(j) * inner;
            dx[at] = log_softmax ? dy[at] - expf(y[at]) * s : y[at] * (dy[at] - s);
        }
    }
}

// Integer labels. Row loss = logsumexp(z) - z[label], taken as (max - z[label]) + log(sum) so that large logits do
// not cancel; probs = softmax(z); dlogits = (probs - onehot) / rows. A label that is not an integer in [0, k)
// (NaN included) records the smallest such row in *bad_row and gets loss 0 and dlogits 0 (probs still written).
// partial_loss[blockIdx.x] = sum of the block's row losses in a fixed order.
extern "C" __global__ void kn_softmax_xent_sparse(float* probs, float* dlogits, float* partial_loss, int* bad_row,
                                                  const float* logits, const float* labels, int rows, int k) {
    softmax::block_of_row_losses(partial_loss, rows, k, [=](int row, size_t base, int lane) {
        const float* z = logits + base;
        const float label = labels[row];
        const bool valid = label >= 0.0f && label < static_cast<float>(k) && label == floorf(label);
        const int target = valid ? static_cast<int>(label) : -1;
        const float m = softmax::row_max(z, k, lane);
        const float s = softmax::row_sum_exp(z, k, lane, m);
        const float n = static_cast<float>(rows);
        for (int j = lane; j < k; j += 32) {
            const float p = expf(z[j] - m) / s;
            probs[base + j] = p;
            dlogits[base + j] = valid ? (p - (j == target ? 1.0f : 0.0f)) / n : 0.0f;
        }
        if (valid) {
            return (m - z[target]) + logf(s);
        }
        if (lane == 0) {
            atomicMin(bad_row, row);
        }
        return 0.0f;
    });
}

// One-hot or probability targets. Row loss = -sum(t * log_softmax(z)) = sum(t * ((max - z) + log(sum)));
// probs = softmax(z); dlogits = (probs * sum(t) - t) / rows; partial_loss as in the sparse kernel.
extern "C" __global__ void kn_softmax_xent_dense(float* probs, float* dlogits, float* partial_loss,
                                                 const float* logits, const float* targets, int rows, int k) {
    softmax::block_of_row_losses(partial_loss, rows, k, [=](int, size_t base, int lane) {
        const float* z = logits + base;
        const float* t = targets + base;
        const float m = softmax::row_max(z, k, lane);
        const float s = softmax::row_sum_exp(z, k, lane, m);
        const float t_sum = softmax::row_sum(t, k, lane);
        const float log_s = logf(s);
        const float n = static_cast<float>(rows);
        float row_loss = 0.0f;
        for (int j = lane; j < k; j += 32) {
            const float zj = z[j];
            const float tj = t[j];
            const float p = expf(zj - m) / s;
            probs[base + j] = p;
            dlogits[base + j] = (p * t_sum - tj) / n;
            row_loss += tj * ((m - zj) + log_s);
        }
        return kn::warp_sum(row_loss);
    });
}
