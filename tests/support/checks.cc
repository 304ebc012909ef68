#include "support/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/target.h"

namespace simdnet::test {

void expect_cases_pass(const std::vector<AccuracyCase>& cases) {
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    const CaseResult r = c.run();
    EXPECT_TRUE(r.error.ok()) << c.kernel << " " << c.shape << " on "
                              << kernels::active_target_name() << ": " << r.error.failures
                              << " of " << r.error.count << " elements outside |err| <= "
                              << r.tolerance.abs << " + " << r.tolerance.rel
                              << "|ref| (first at flat index " << r.error.first_failure
                              << "); max abs err " << r.error.max_abs << ", max rel err "
                              << r.error.max_rel;
    EXPECT_GT(r.error.count, 0u) << c.kernel << " " << c.shape << " compared nothing";
  }
}

void expect_bit_identical_across_threads(const std::function<std::vector<float>()>& run) {
  const int before = kernels::thread_count();
  kernels::set_thread_count(1);
  const std::vector<float> single = run();
  for (int threads : {2, 3, 4}) {
    kernels::set_thread_count(threads);
    const std::vector<float> multi = run();
    ASSERT_EQ(single.size(), multi.size());
    EXPECT_EQ(0, std::memcmp(single.data(), multi.data(), single.size() * sizeof(float)))
        << "outputs differ between 1 and " << threads << " threads";
  }
  kernels::set_thread_count(before);
}

MatrixD random_matrix_d(size_t rows, size_t cols, unsigned seed, double lo, double hi) {
  MatrixD m(rows, cols);
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (double& x : m.data) x = dist(gen);
  return m;
}

double rel_error(const std::vector<double>& a, const std::vector<double>& b, double floor) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst,
                     std::fabs(a[i] - b[i]) / std::max(floor, std::fabs(a[i]) + std::fabs(b[i])));
  }
  return worst;
}

std::vector<double> numeric_gradient(const std::function<std::vector<double>()>& f,
                                     std::vector<double>& x, const std::vector<double>& dout,
                                     double h) {
  std::vector<double> grad(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double old = x[i];
    x[i] = old + h;
    const std::vector<double> plus = f();
    x[i] = old - h;
    const std::vector<double> minus = f();
    x[i] = old;
    double g = 0;
    for (size_t j = 0; j < plus.size(); ++j) g += (plus[j] - minus[j]) * dout[j];
    grad[i] = g / (2 * h);
  }
  return grad;
}

}  // namespace simdnet::test
