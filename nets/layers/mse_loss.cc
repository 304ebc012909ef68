#include "nets/layers/mse_loss.h"

#include <stdexcept>
#include <string>

namespace simdnet::nets {

namespace {
std::string shape(size_t rows, size_t cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}
}  // namespace

template <class T>
T MeanSquaredError<T>::forward(ConstView pred, ConstView target) {
  if (pred.rows != target.rows || pred.cols != target.cols || pred.size() == 0) {
    throw std::invalid_argument("MeanSquaredError: pred is " + shape(pred.rows, pred.cols) +
                                " and target " + shape(target.rows, target.cols) +
                                ", expected the same non-empty shape");
  }
  View dpred = dpred_.reshape(pred.rows, pred.cols);
  const double count = static_cast<double>(pred.size());
  double sum = 0;  // sum_ij (pred - target)^2, in double: no float drift over N·D terms
  for (size_t i = 0; i < pred.rows; ++i) {
    for (size_t j = 0; j < pred.cols; ++j) {
      const double diff = double(pred.at(i, j)) - double(target.at(i, j));
      sum += diff * diff;
      dpred.at(i, j) = static_cast<T>(2.0 * diff / count);  // dpred = 2 (pred - target) / (N·D)
    }
  }
  return static_cast<T>(sum / count);
}

template class MeanSquaredError<float>;
template class MeanSquaredError<double>;

}  // namespace simdnet::nets
