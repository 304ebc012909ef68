// Bias: Highway dispatch + blocking on the thread pool.
//
// bias_backward is a reduction over rows, made deterministic the way
// parallel.h prescribes: the (N, D) gradient is cut into tiles of fixed row
// blocks x column panels (sizes from the shape only); each tile writes its
// column sums into row `block` of a partial-sum matrix, and db is then the
// column sums of that matrix, taken in block order. A column panel keeps the
// accumulator (4 KiB) in L1 while the rows stream through.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/bias.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/bias-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

void BiasForwardRows(const float* x, size_t x_stride, const float* b, float* y, size_t y_stride,
                     size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) BiasForwardRow(x + r * x_stride, b, y + r * y_stride, cols);
}

void ColumnSumsBlock(const float* m, size_t stride, size_t rows, size_t cols, float* sums) {
  ColumnSums(m, stride, rows, cols, sums);
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>

#include "kernels/scratch.h"
#include "kernels/shape_check.h"
#include "simdnet/kernels/bias.h"
#include "simdnet/kernels/parallel.h"

namespace simdnet::kernels {
HWY_EXPORT(BiasForwardRows);
HWY_EXPORT(ColumnSumsBlock);

namespace {

constexpr size_t kPanelCols = 1024;      // accumulator: 4 KiB, stays in L1
constexpr size_t kTileElements = 32768;  // 128 KiB of dout per task

}  // namespace

void bias_forward(ConstMatrixView x, std::span<const float> b, MatrixView y) {
  detail::check_same_shape("bias_forward", "x", x, "y", y);
  detail::check_length("bias_forward", "b", b.size(), x.cols);
  const size_t rb = rows_per_block(x.cols);
  parallel_for(block_count(x.rows, rb), [&](size_t blk) {
    const size_t r0 = blk * rb, n = std::min(rb, x.rows - r0);
    HWY_DYNAMIC_DISPATCH(BiasForwardRows)(x.row(r0), x.stride, b.data(), y.row(r0), y.stride, n,
                                          x.cols);
  });
}

void bias_backward(ConstMatrixView dout, std::span<float> db) {
  detail::check_view("bias_backward", "dout", dout);
  detail::check_length("bias_backward", "db", db.size(), dout.cols);
  const size_t cols = dout.cols;
  const size_t panels = block_count(cols, kPanelCols);
  const size_t rb = rows_per_block(std::min(cols, kPanelCols), kTileElements);
  const size_t row_blocks = block_count(dout.rows, rb);
  const auto panel_width = [&](size_t p) { return std::min(kPanelCols, cols - p * kPanelCols); };

  // db[j] = sum_i m[i][j] over the panels of m, in parallel.
  const auto column_sums_into_db = [&](const float* m, size_t stride, size_t rows) {
    parallel_for(panels, [&](size_t p) {
      const size_t c0 = p * kPanelCols;
      HWY_DYNAMIC_DISPATCH(ColumnSumsBlock)(m + c0, stride, rows, panel_width(p), db.data() + c0);
    });
  };
  if (dout.rows == 0) return std::fill(db.begin(), db.end(), 0.0f);  // an empty sum
  if (row_blocks == 1) return column_sums_into_db(dout.data, dout.stride, dout.rows);

  // partial[blk][j] = sum of dout[i][j] over the rows i of block blk.
  detail::ScratchLease<float> scratch;  // kept by the thread: no allocation per step
  float* const partial = scratch.reserve(row_blocks * cols);
  parallel_for(row_blocks * panels, [&](size_t tile) {
    const size_t blk = tile / panels, p = tile % panels;
    const size_t r0 = blk * rb, c0 = p * kPanelCols;
    HWY_DYNAMIC_DISPATCH(ColumnSumsBlock)(dout.row(r0) + c0, dout.stride,
                                          std::min(rb, dout.rows - r0), panel_width(p),
                                          partial + blk * cols + c0);
  });
  // db[j] = sum_blk partial[blk][j], blocks in order.
  column_sums_into_db(partial, cols, row_blocks);
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
