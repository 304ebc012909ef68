// Scalar reference for softmax cross-entropy: the definitions, one element at a
// time, in double (std::exp, std::log), with the same max subtraction as the
// kernel so extreme logits stay finite.
#include "simdnet/kernels/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "kernels/shape_check.h"
#include "kernels/softmax_cross_entropy_args.h"

namespace simdnet::kernels::reference {
namespace {

// m = max_j s[j] and Z = sum_j exp(s[j] - m) of row r.
template <class T>
std::pair<double, double> max_and_normalizer(MatrixViewOf<const T> s, size_t r) {
  double m = -std::numeric_limits<double>::infinity();
  for (size_t j = 0; j < s.cols; ++j) m = std::max(m, double(s.at(r, j)));
  double z = 0;
  for (size_t j = 0; j < s.cols; ++j) z += std::exp(double(s.at(r, j)) - m);
  return {m, z};
}

template <class T>
double cross_entropy(MatrixViewOf<const T> s, std::span<const int32_t> labels, MatrixViewOf<T> ds) {
  detail::check_softmax_cross_entropy_args("reference::softmax_cross_entropy", s, labels, ds);
  const double n = double(s.rows);
  double loss = 0;
  for (size_t r = 0; r < s.rows; ++r) {
    const auto [m, z] = max_and_normalizer(s, r);
    const size_t y = size_t(labels[r]);
    // -log p_y = log Z - (s_y - m)
    loss += std::log(z) - (double(s.at(r, y)) - m);
    // ds_j = (p_j - [j == y]) / N; s_j is read before ds_j (which may alias it) is written
    for (size_t j = 0; j < s.cols; ++j) {
      const double p = std::exp(double(s.at(r, j)) - m) / z;
      ds.at(r, j) = T((p - (j == y ? 1.0 : 0.0)) / n);
    }
  }
  return loss / n;
}

template <class T>
void probabilities(MatrixViewOf<const T> s, MatrixViewOf<T> p) {
  detail::check_same_shape("reference::softmax", "scores", s, "probs", p);
  for (size_t r = 0; r < s.rows; ++r) {
    const auto [m, z] = max_and_normalizer(s, r);
    for (size_t j = 0; j < s.cols; ++j) p.at(r, j) = T(std::exp(double(s.at(r, j)) - m) / z);
  }
}

}  // namespace

float softmax_cross_entropy(ConstMatrixView scores, std::span<const int32_t> labels,
                            MatrixView dscores) {
  return float(cross_entropy(scores, labels, dscores));
}
double softmax_cross_entropy(ConstMatrixViewD scores, std::span<const int32_t> labels,
                             MatrixViewD dscores) {
  return cross_entropy(scores, labels, dscores);
}
void softmax(ConstMatrixView scores, MatrixView probs) { probabilities(scores, probs); }
void softmax(ConstMatrixViewD scores, MatrixViewD probs) { probabilities(scores, probs); }

void argmax_rows(ConstMatrixView scores, std::span<int32_t> classes) {
  detail::check_view("reference::argmax_rows", "scores", scores);
  detail::check_length("reference::argmax_rows", "classes", classes.size(), scores.rows);
  if (scores.rows != 0 && scores.cols == 0) {
    throw std::invalid_argument("reference::argmax_rows: scores is " +
                                detail::shape_string(scores) +
                                "; expected between 1 and 2^31 - 1 classes");
  }
  for (size_t r = 0; r < scores.rows; ++r) {
    size_t best = 0;  // the first index of the max: later ties do not replace it
    for (size_t j = 1; j < scores.cols; ++j)
      if (scores.at(r, j) > scores.at(r, best)) best = j;
    classes[r] = int32_t(best);
  }
}

}  // namespace simdnet::kernels::reference
