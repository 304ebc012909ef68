// Softmax cross-entropy: Highway dispatch + row blocking on the thread pool.
//
// The loss is a reduction over rows, made deterministic the way parallel.h
// prescribes: each fixed row block returns the sum of its row losses (in
// double), and the blocks' sums are added in block order.
#include <algorithm>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/softmax_cross_entropy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/softmax_cross_entropy-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

// For each row i: ds[i][j] = (p[i][j] - [j == y_i]) / N with inv_n = 1/N.
// Returns sum_i (log Z_i - (s[i][y_i] - m_i)), the rows' losses, in double.
// log Z is taken for a vector of rows at once (hwy Log, 4 ulp), so the
// per-row cost of the log is a fraction of one vector op.
double SoftmaxCrossEntropyRows(const float* s, size_t s_stride, const int32_t* labels, float* ds,
                               size_t ds_stride, size_t rows, size_t cols, float inv_n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  HWY_ALIGN float z[hn::MaxLanes(d)];              // Z_i of the chunk's rows
  HWY_ALIGN float shifted_label[hn::MaxLanes(d)];  // s[i][y_i] - m_i
  double loss = 0;
  for (size_t r0 = 0; r0 < rows; r0 += N) {
    const size_t chunk = std::min(N, rows - r0);
    for (size_t k = 0; k < chunk; ++k) {
      const float* row = s + (r0 + k) * s_stride;
      float* out = ds + (r0 + k) * ds_stride;
      const size_t y = static_cast<size_t>(labels[r0 + k]);
      const float label_score = row[y];  // read before `out`, which may alias `row`, is written
      // out = (p - onehot(y)) / N
      const ShiftAndNormalizer sz = ScaledSoftmaxRow(row, out, cols, inv_n, y);
      shifted_label[k] = label_score - sz.max;
      z[k] = sz.z;
    }
    for (size_t k = chunk; k < N; ++k) z[k] = 1.0f;  // log 1 = 0 in the unused lanes
    hn::Store(hn::Log(d, hn::Load(d, z)), d, z);
    // -log p[i][y_i] = log Z_i - (s[i][y_i] - m_i)
    for (size_t k = 0; k < chunk; ++k) loss += double(z[k]) - double(shifted_label[k]);
  }
  return loss;
}

void SoftmaxRows(const float* s, size_t s_stride, float* p, size_t p_stride, size_t rows,
                 size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    ScaledSoftmaxRow(s + r * s_stride, p + r * p_stride, cols, 1.0f, kNoLabel);
  }
}

void ArgmaxRows(const float* s, size_t s_stride, int32_t* classes, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = s + r * s_stride;
    classes[r] = static_cast<int32_t>(FirstIndexOf(row, RowMax(row, cols), cols));
  }
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/scratch.h"
#include "kernels/shape_check.h"
#include "kernels/softmax_cross_entropy_args.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/softmax_cross_entropy.h"

namespace simdnet::kernels {
HWY_EXPORT(SoftmaxCrossEntropyRows);
HWY_EXPORT(SoftmaxRows);
HWY_EXPORT(ArgmaxRows);

float softmax_cross_entropy(ConstMatrixView scores, std::span<const int32_t> labels,
                            MatrixView dscores) {
  detail::check_softmax_cross_entropy_args("softmax_cross_entropy", scores, labels, dscores);
  const size_t rb = rows_per_block(scores.cols);
  const size_t blocks = block_count(scores.rows, rb);
  const float inv_n = 1.0f / static_cast<float>(scores.rows);
  detail::ScratchLease<double> scratch;  // kept by the thread: no allocation per call
  double* const block_loss = scratch.reserve(blocks);
  parallel_for(blocks, [&](size_t b) {
    const size_t r0 = b * rb, n = std::min(rb, scores.rows - r0);
    block_loss[b] = HWY_DYNAMIC_DISPATCH(SoftmaxCrossEntropyRows)(
        scores.row(r0), scores.stride, labels.data() + r0, dscores.row(r0), dscores.stride, n,
        scores.cols, inv_n);
  });
  double total = 0;
  for (size_t b = 0; b < blocks; ++b) total += block_loss[b];  // block order: thread-independent
  return static_cast<float>(total / static_cast<double>(scores.rows));
}

void softmax(ConstMatrixView scores, MatrixView probs) {
  detail::check_same_shape("softmax", "scores", scores, "probs", probs);
  if (scores.cols == 0) return;  // rows of nothing: nothing to normalize
  const size_t rb = rows_per_block(scores.cols);
  parallel_for(block_count(scores.rows, rb), [&](size_t b) {
    const size_t r0 = b * rb, n = std::min(rb, scores.rows - r0);
    HWY_DYNAMIC_DISPATCH(SoftmaxRows)(scores.row(r0), scores.stride, probs.row(r0), probs.stride,
                                      n, scores.cols);
  });
}

void argmax_rows(ConstMatrixView scores, std::span<int32_t> classes) {
  detail::check_view("argmax_rows", "scores", scores);
  detail::check_length("argmax_rows", "classes", classes.size(), scores.rows);
  if (scores.rows == 0) return;
  if (scores.cols == 0 || scores.cols > size_t(std::numeric_limits<int32_t>::max())) {
    throw std::invalid_argument("argmax_rows: scores is " + detail::shape_string(scores) +
                                "; expected between 1 and 2^31 - 1 classes");
  }
  const size_t rb = rows_per_block(scores.cols);
  parallel_for(block_count(scores.rows, rb), [&](size_t b) {
    const size_t r0 = b * rb, n = std::min(rb, scores.rows - r0);
    HWY_DYNAMIC_DISPATCH(ArgmaxRows)(scores.row(r0), scores.stride, classes.data() + r0, n,
                                     scores.cols);
  });
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
