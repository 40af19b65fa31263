// Reductions and metrics: deterministic sums, row argmax, accuracy counts.
#include <math_constants.h>
#include <climits>

#include "common.cuh"

namespace reduce {

// Index of the first maximum of row x[0, k) (the CPU's firstMax): each lane keeps the first maximum of its columns
// lane, lane + 32, ...; the butterfly keeps the larger value, and of equal values the smaller index, so every lane
// ends with the row's first maximum (of a row without NaN). A row of -inf gives 0, as on the CPU.
__device__ __forceinline__ int warp_argmax(const float* x, int k, int lane) {
    float best = -CUDART_INF_F;
    int index = INT_MAX;
    for (int j = lane; j < k; j += 32) {
        const float v = x[j];
        if (v > best || index == INT_MAX) {
            best = v;
            index = j;
        }
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) {
        const float other = __shfl_xor_sync(kn::FULL_WARP, best, offset);
        const int other_index = __shfl_xor_sync(kn::FULL_WARP, index, offset);
        if (other > best || (other == best && other_index < index)) {
            best = other;
            index = other_index;
        }
    }
    return index;
}

}  // namespace reduce

// Block 256, grid G <= 1024: out[blockIdx.x] = (sum of x over this block's grid-stride slices, in a fixed tree) /
// divisor. Two passes give the total: x -> G partials (divisor 1) -> 1 (grid 1; divisor n for a mean).
extern "C" __global__ void kn_reduce_sum(float* out, const float* x, int n, float divisor) {
    float sum = 0.0f;
    kn::for_each_vec4(
        n, kn::aligned16(x),
        [&](unsigned g) {
            const float4 v = kn::load4(x, g);
            sum += (v.x + v.y) + (v.z + v.w);
        },
        [&](unsigned i) { sum += x[i]; });
    sum = kn::block_sum(sum);
    if (threadIdx.x == 0) out[blockIdx.x] = sum / divisor;
}


// Row kernel: indices[row] = index of the first maximum of x[row, :], as a float.
extern "C" __global__ void kn_argmax_rows(float* indices, const float* x, int rows, int k) {
    const int row = kn::warp_row();
    if (row >= rows) return;
    const int index = reduce::warp_argmax(x + static_cast<size_t>(row) * k, k, kn::lane_id());
    if (kn::lane_id() == 0) indices[row] = static_cast<float>(index);
}

// Row kernel: a row is correct when the first maximum of scores[row, :] equals labels[row] (one_hot = 0: a class
// index) or the first maximum of labels[row, :] (one_hot = 1). partial[blockIdx.x] = correct rows of the block.
extern "C" __global__ void kn_accuracy(float* partial, const float* scores, const float* labels, int rows, int k,
                                       int one_hot) {
    const int row = kn::warp_row();
    const int lane = kn::lane_id();
    float correct = 0.0f;
    if (row < rows) {
        const size_t base = static_cast<size_t>(row) * k;
        const int predicted = reduce::warp_argmax(scores + base, k, lane);
        const float expected = one_hot ? static_cast<float>(reduce::warp_argmax(labels + base, k, lane)) : labels[row];
        correct = static_cast<float>(predicted) == expected ? 1.0f : 0.0f;
    }
    const float total = kn::block_sum(lane == 0 ? correct : 0.0f);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}
