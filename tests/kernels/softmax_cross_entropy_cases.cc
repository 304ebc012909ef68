// Softmax cross-entropy accuracy cases: SIMD versus the double reference.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "simdnet/kernels/softmax_cross_entropy.h"
#include "support/accuracy.h"

namespace simdnet::test {
namespace {

constexpr double kEps = std::numeric_limits<float>::epsilon();

// Relative error of the float softmax of one row of C classes, in units of eps:
// exp from hwy/contrib/math is within 1 ulp, the normalizer Z is a float sum
// of C positive terms (rounding grows like sqrt(C) eps, in a few vector
// partial sums), and 1/Z and the products round once each.
double softmax_rel(size_t classes) { return (8.0 + 2.0 * std::sqrt(double(classes))) * kEps; }

// dscores = (p - onehot) / N: relative error as the softmax's; absolute
// eps / N from p - 1 (the label's entry, a cancellation) and from rounding
// s - max, which perturbs p by p * |s - max| * eps/2 <= eps / (2e).
Tolerance dscores_tolerance(size_t rows, size_t classes) {
  return {2.0 * kEps / double(rows), softmax_rel(classes),
          "rel (8 + 2 sqrt(C)) eps: exp 1 ulp, float sum of C terms in Z, 1/Z; abs 2 eps/N: "
          "p - 1 cancels, s - max rounds"};
}

// The loss is (1/N) sum_i (log Z_i - (s_y - max)_i), rows added in double:
// each row errs by Z's relative error plus log's 4 ulp and the rounding of
// s_y - max (relative to the row loss), and the mean of N rows errs no more
// than its worst row -- no N * eps growth, since the sum is in double.
Tolerance loss_tolerance(size_t classes) {
  const double e = softmax_rel(classes) + 4 * kEps;
  return {e, e,
          "abs = rel = (12 + 2 sqrt(C)) eps: per row, Z's float sum + log 4 ulp + rounding of "
          "s_y - max; rows summed in double, so the mean is no worse than one row"};
}

const Tolerance kExact{0, 0, "exact: max and compare do not round"};

std::vector<int32_t> random_labels(size_t rows, size_t classes, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int32_t> dist(0, int32_t(classes) - 1);
  std::vector<int32_t> labels(rows);
  for (int32_t& y : labels) y = dist(gen);
  return labels;
}

// How the scores of a case are made.
struct Scores {
  std::string name;
  kernels::Matrix (*make)(const RowShape& s, unsigned seed);
};

kernels::Matrix typical_logits(const RowShape& s, unsigned seed) {
  return random_matrix(s.rows, s.cols, seed, -5, 5, s.stride);
}
// Far beyond exp's float range (e^160 overflows, e^-160 underflows): only the
// max subtraction keeps the loss finite.
kernels::Matrix extreme_logits(const RowShape& s, unsigned seed) {
  return random_matrix(s.rows, s.cols, seed, -80, 80, s.stride);
}
// All equal and large: s - max = 0 everywhere, p = 1/C, loss = log C.
kernels::Matrix large_equal_logits(const RowShape& s, unsigned seed) {
  auto m = random_matrix(s.rows, s.cols, seed, 0, 1, s.stride);
  for (size_t r = 0; r < s.rows; ++r)
    for (size_t c = 0; c < s.cols; ++c) m.at(r, c) = 3e4f;
  return m;
}
// Few distinct values: many ties for argmax (the first index must win).
kernels::Matrix tied_logits(const RowShape& s, unsigned seed) {
  auto m = random_matrix(s.rows, s.cols, seed, -2, 2, s.stride);
  for (size_t r = 0; r < s.rows; ++r)
    for (size_t c = 0; c < s.cols; ++c) m.at(r, c) = std::round(m.at(r, c));
  return m;
}

void add_cases(std::vector<AccuracyCase>& cases, const RowShape& s, const Scores& scores,
               bool with_argmax) {
  const std::string shape = s.name() + (scores.name.empty() ? "" : " " + scores.name);
  cases.push_back({"softmax_cross_entropy.loss", shape, [s, scores] {
                     const auto x = scores.make(s, 1);
                     const auto labels = random_labels(s.rows, s.cols, 2);
                     kernels::Matrix got_ds(s.rows, s.cols, s.stride), ref_ds(s.rows, s.cols);
                     const float got =
                         kernels::softmax_cross_entropy(x.view(), labels, got_ds.view());
                     const float ref =
                         kernels::reference::softmax_cross_entropy(x.view(), labels, ref_ds.view());
                     const Tolerance tol = loss_tolerance(s.cols);
                     return CaseResult{compare(std::span(&got, 1), std::span(&ref, 1), tol), tol};
                   }});
  cases.push_back({"softmax_cross_entropy.dx", shape, [s, scores] {
                     const auto x = scores.make(s, 1);
                     const auto labels = random_labels(s.rows, s.cols, 2);
                     kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                     kernels::softmax_cross_entropy(x.view(), labels, got.view());
                     kernels::reference::softmax_cross_entropy(x.view(), labels, ref.view());
                     const Tolerance tol = dscores_tolerance(s.rows, s.cols);
                     return CaseResult{compare(got.view(), ref.view(), tol), tol};
                   }});
  cases.push_back({"softmax", shape, [s, scores] {
                     const auto x = scores.make(s, 3);
                     kernels::Matrix got(s.rows, s.cols, s.stride), ref(s.rows, s.cols);
                     kernels::softmax(x.view(), got.view());
                     kernels::reference::softmax(x.view(), ref.view());
                     const Tolerance tol = dscores_tolerance(1, s.cols);
                     return CaseResult{compare(got.view(), ref.view(), tol), tol};
                   }});
  if (!with_argmax) return;
  cases.push_back(
      {"argmax_rows", shape, [s, scores] {
         const auto x = scores.make(s, 4);
         std::vector<int32_t> got(s.rows, -1), ref(s.rows, -2);
         kernels::argmax_rows(x.view(), got);
         kernels::reference::argmax_rows(x.view(), ref);
         // Class indices as floats: exact below 2^24.
         const std::vector<float> got_f(got.begin(), got.end()), ref_f(ref.begin(), ref.end());
         return CaseResult{compare(std::span<const float>(got_f), ref_f, kExact), kExact};
       }});
}

}  // namespace

std::vector<AccuracyCase> softmax_cross_entropy_cases() {
  std::vector<AccuracyCase> cases;
  for (const RowShape& s : row_shapes()) add_cases(cases, s, {"", typical_logits}, true);
  // The class counts of interest: 1 (p = 1, loss 0), tiny, the nets' 10 and
  // 100, primes, 1000 (ImageNet-sized rows, many vectors).
  for (size_t classes : {1, 2, 3, 10, 17, 100, 1000}) {
    add_cases(cases, {37, classes, 0}, {"", typical_logits}, true);
    add_cases(cases, {33, classes, 0}, {"logits +-80", extreme_logits}, false);
    add_cases(cases, {9, classes, 0}, {"logits all 3e4", large_equal_logits}, false);
    add_cases(cases, {41, classes, 0}, {"ties", tied_logits}, true);
  }
  return cases;
}

static const bool registered =
    register_accuracy_cases("softmax_cross_entropy", softmax_cross_entropy_cases);

}  // namespace simdnet::test
