// Dropout: Highway dispatch + blocking on the thread pool. Forward and backward
// are the same operation (keep ? v * scale : 0) on different inputs.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/dropout.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/dropout-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

// Rows [0, rows) of a block; row r's first element has logical index
// first + r * index_stride.
void DropoutRows(const float* in, size_t in_stride, float* out, size_t out_stride, size_t rows,
                 size_t cols, uint64_t first, uint64_t index_stride, float p, uint64_t seed,
                 uint64_t stream) {
  PhiloxWords high_words(seed, stream), low_words(seed, stream);
  const DropMask mask = DropMask::Make(p, seed, stream);
  for (size_t r = 0; r < rows; ++r) {
    DropoutRow(high_words, low_words, mask, in + r * in_stride, out + r * out_stride, cols,
               first + r * index_stride);
  }
}

void PhiloxFill(uint64_t seed, uint64_t stream, uint64_t first_block, size_t blocks,
                uint32_t* words) {
  PhiloxWords philox(seed, stream);
  philox.Fill(first_block, blocks, words);
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

#include "kernels/shape_check.h"
#include "simdnet/kernels/dropout.h"
#include "simdnet/kernels/parallel.h"

namespace simdnet::kernels {
HWY_EXPORT(DropoutRows);
HWY_EXPORT(PhiloxFill);

namespace detail {
void check_drop_probability(const char* kernel, float p) {
  if (!(p >= 0.0f && p < 1.0f)) {  // also rejects NaN
    char value[32];  // the shortest text that reads back as p
    const auto end = std::to_chars(value, value + sizeof(value), p).ptr;
    throw std::invalid_argument(std::string(kernel) + ": p = " + std::string(value, end) +
                                " is outside [0, 1); p is the probability of dropping an element");
  }
}
}  // namespace detail

namespace {

// keep ? in * scale : 0 over the matrix, in blocks of about 16K elements: whole
// rows when they are narrow, column ranges of one row when a row is wider.
// Counter-based masks make the split free: element (i, j) draws index i*cols+j
// in whichever block it lands.
void apply_dropout(const char* kernel, const char* in_name, ConstMatrixView in, float p,
                   uint64_t seed, uint64_t stream, const char* out_name, MatrixView out) {
  detail::check_drop_probability(kernel, p);
  detail::check_same_shape(kernel, in_name, in, out_name, out);
  constexpr size_t kBlockElements = 16384;
  const size_t rb = rows_per_block(in.cols, kBlockElements);
  const size_t col_blocks = in.cols > kBlockElements ? block_count(in.cols, kBlockElements) : 1;
  const size_t col_step = col_blocks > 1 ? kBlockElements : in.cols;
  const size_t row_blocks = block_count(in.rows, rb);
  parallel_for(row_blocks * col_blocks, [&](size_t b) {
    const size_t r0 = b / col_blocks * rb, rows = std::min(rb, in.rows - r0);
    const size_t c0 = b % col_blocks * col_step, cols = std::min(col_step, in.cols - c0);
    HWY_DYNAMIC_DISPATCH(DropoutRows)(in.row(r0) + c0, in.stride, out.row(r0) + c0, out.stride,
                                      rows, cols, uint64_t{r0} * in.cols + c0, in.cols, p,
                                      seed, stream);
  });
}

}  // namespace

void philox_fill(uint64_t seed, uint64_t stream, uint64_t first_block, std::span<uint32_t> words) {
  if (words.size() % 4 != 0) {
    throw std::invalid_argument("philox_fill: words has " + std::to_string(words.size()) +
                                " elements; expected a multiple of 4 (whole Philox blocks)");
  }
  // Blocks of 16K words on the pool: each block's counters are its own.
  constexpr size_t kBlockWords = 16384;
  parallel_for(block_count(words.size(), kBlockWords), [&](size_t b) {
    const size_t w0 = b * kBlockWords, n = std::min(kBlockWords, words.size() - w0);
    HWY_DYNAMIC_DISPATCH(PhiloxFill)(seed, stream, first_block + w0 / 4, n / 4, words.data() + w0);
  });
}

void dropout_forward(ConstMatrixView x, float p, uint64_t seed, uint64_t stream, MatrixView out) {
  apply_dropout("dropout_forward", "x", x, p, seed, stream, "out", out);
}

void dropout_backward(ConstMatrixView dout, float p, uint64_t seed, uint64_t stream,
                      MatrixView dx) {
  apply_dropout("dropout_backward", "dout", dout, p, seed, stream, "dx", dx);
}

}  // namespace simdnet::kernels
#endif  // HWY_ONCE
