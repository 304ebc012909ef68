#include "support/accuracy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

namespace simdnet::test {

ErrorStats compare(std::span<const float> got, std::span<const float> ref, const Tolerance& tol) {
  if (got.size() != ref.size()) throw std::invalid_argument("compare: sizes differ");
  ErrorStats s;
  s.count = got.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], r = ref[i];
    double err = std::fabs(g - r);
    if (std::isnan(g) != std::isnan(r)) err = std::numeric_limits<double>::infinity();
    if (std::isnan(g) && std::isnan(r)) err = 0;
    s.max_abs = std::max(s.max_abs, err);
    if (std::fabs(r) > tol.abs) s.max_rel = std::max(s.max_rel, err / std::fabs(r));
    const double bound = tol.abs + tol.rel * std::fabs(r);
    const double used = err == 0 ? 0 : bound > 0 ? err / bound : std::numeric_limits<double>::infinity();
    s.max_tolerance_used = std::max(s.max_tolerance_used, used);
    if (!(err <= bound)) {
      if (s.failures == 0) s.first_failure = i;
      ++s.failures;
    }
  }
  return s;
}

ErrorStats compare(kernels::ConstMatrixView got, kernels::ConstMatrixView ref,
                   const Tolerance& tol) {
  if (got.rows != ref.rows || got.cols != ref.cols)
    throw std::invalid_argument("compare: shapes differ");
  ErrorStats total;
  for (size_t r = 0; r < got.rows; ++r) {
    ErrorStats row = compare(std::span(got.row(r), got.cols), std::span(ref.row(r), ref.cols), tol);
    if (row.failures && !total.failures) row.first_failure += r * got.cols;
    total = merge(total, row);
  }
  return total;
}

ErrorStats merge(const ErrorStats& a, const ErrorStats& b) {
  ErrorStats s;
  s.max_abs = std::max(a.max_abs, b.max_abs);
  s.max_rel = std::max(a.max_rel, b.max_rel);
  s.max_tolerance_used = std::max(a.max_tolerance_used, b.max_tolerance_used);
  s.failures = a.failures + b.failures;
  s.count = a.count + b.count;
  s.first_failure = a.failures ? a.first_failure : a.count + b.first_failure;
  return s;
}

kernels::Matrix random_matrix(size_t rows, size_t cols, unsigned seed, float lo, float hi,
                              size_t stride) {
  kernels::Matrix m(rows, cols, stride);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < m.stride(); ++c) {
      m.at(r, c) = c < cols ? dist(gen) : std::numeric_limits<float>::quiet_NaN();
    }
  }
  return m;
}

std::vector<float> random_vector(size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

std::string RowShape::name() const {
  std::string s = std::to_string(rows) + "x" + std::to_string(cols);
  if (stride) s += " stride " + std::to_string(stride);
  return s;
}

std::vector<RowShape> row_shapes() {
  return {{1, 1, 0},      {1, 7, 0},      {3, 15, 0},      {5, 17, 0},     {7, 33, 0},
          {13, 101, 0},   {64, 100, 0},   {128, 512, 0},   {31, 10, 0},    {97, 257, 0},
          {256, 1024, 0}, {100, 10, 0},   {17, 31, 48},    {50, 100, 128}, {3, 1000, 1003},
          {2, 20000, 0}};
}

namespace {
std::map<std::string, CaseList>& registry() {
  static std::map<std::string, CaseList> families;  // sorted: a fixed report order
  return families;
}
}  // namespace

bool register_accuracy_cases(const std::string& family, CaseList cases) {
  registry()[family] = cases;
  return true;
}

std::vector<AccuracyCase> all_accuracy_cases() {
  std::vector<AccuracyCase> all;
  for (const auto& [family, make] : registry()) {
    auto cases = make();
    all.insert(all.end(), cases.begin(), cases.end());
  }
  return all;
}

}  // namespace simdnet::test
