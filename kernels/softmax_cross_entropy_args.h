// Argument checks of softmax_cross_entropy, shared by the SIMD kernel and its
// reference so both reject the same inputs with the same message.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "kernels/shape_check.h"

namespace simdnet::kernels::detail {

template <class T>
void check_softmax_cross_entropy_args(const char* kernel, const MatrixViewOf<const T>& scores,
                                      std::span<const int32_t> labels,
                                      const MatrixViewOf<T>& dscores) {
  check_same_shape(kernel, "scores", scores, "dscores", dscores);
  if (scores.rows == 0 || scores.cols == 0) {
    throw std::invalid_argument(std::string(kernel) + ": scores is " + shape_string(scores) +
                                "; expected at least one row and one class (the loss is a mean)");
  }
  check_length(kernel, "labels", labels.size(), scores.rows);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= scores.cols) {
      throw std::invalid_argument(
          std::string(kernel) + ": labels[" + std::to_string(i) +
          "] = " + std::to_string(labels[i]) + " (row " + std::to_string(i) + ") is outside [0, " +
          std::to_string(scores.cols) + "), the class range of scores " + shape_string(scores));
    }
  }
}

}  // namespace simdnet::kernels::detail
