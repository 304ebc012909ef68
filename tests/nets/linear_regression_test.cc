// The seeds' regression example with the network's own machinery: fit
// y = w·x + b to noisy data with the Affine layer (1 -> 1), the mean squared
// error loss and kernels::sgd_update (full-batch gradient descent, as the
// seeds do), and compare with the closed-form least-squares fit and with the
// true line.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "nets/init.h"
#include "nets/layers/affine.h"
#include "nets/layers/mse_loss.h"
#include "simdnet/kernels/matrix.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/kernels/philox.h"
#include "simdnet/nets/streams.h"

namespace simdnet::nets {
namespace {

TEST(LinearRegression, GradientDescentOnMseRecoversTheLine) {
  const double true_w = 2.5, true_b = -1.0, noise = 0.1;
  const size_t n = 200;
  // x uniform in [-2, 2), y = w x + b + noise * N(0, 1), from Philox streams.
  kernels::Matrix x(n, 1), y(n, 1);
  for (size_t i = 0; i < n; ++i) {
    x.at(i, 0) = float(4.0 * kernels::philox::uniform(1, streams::other(100), i) - 2.0);
    y.at(i, 0) = float(true_w * x.at(i, 0) + true_b +
                       noise * standard_normal(1, streams::other(101), i));
  }

  kernels::Matrix W(1, 1), b(1, 1), dW(1, 1), db(1, 1);  // start at w = b = 0
  Affine<float> affine;
  affine.bind(W.view(), b.view(), dW.view(), db.view());
  MeanSquaredError<float> mse;
  float loss = 0;
  for (int iteration = 0; iteration < 500; ++iteration) {
    loss = mse.forward(affine.forward(x.view()), y.view());
    affine.backward(mse.backward(), /*need_dx=*/false);
    kernels::sgd_update(W.storage(), dW.storage(), {.learning_rate = 0.1f});
    kernels::sgd_update(b.storage(), db.storage(), {.learning_rate = 0.1f});
  }
  const double w = W.at(0, 0), b_fit = b.at(0, 0);

  // Closed form: w* = cov(x, y) / var(x), b* = mean(y) - w* mean(x).
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x.at(i, 0) / double(n);
    my += y.at(i, 0) / double(n);
  }
  double sxx = 0, sxy = 0, sse = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (x.at(i, 0) - mx) * (x.at(i, 0) - mx);
    sxy += (x.at(i, 0) - mx) * (y.at(i, 0) - my);
  }
  const double w_star = sxy / sxx, b_star = my - w_star * mx;
  for (size_t i = 0; i < n; ++i) {
    const double r = y.at(i, 0) - (w_star * x.at(i, 0) + b_star);
    sse += r * r;
  }
  std::cout << "[ fit      ] w = " << w << " (least squares " << w_star << ", true " << true_w
            << "), b = " << b_fit << " (least squares " << b_star << ", true " << true_b
            << "), mse " << loss << "\n";

  // Gradient descent converges to the least-squares solution: the error
  // shrinks by (1 - 2 lr var(x)) ~ 0.73 per iteration (slowest mode), far
  // below float resolution after 500; what remains is float roundoff of the
  // gradient sums over n = 200 terms: 1e-4 is ~50x that.
  EXPECT_NEAR(w, w_star, 1e-4);
  EXPECT_NEAR(b_fit, b_star, 1e-4);
  EXPECT_NEAR(loss, sse / n, 1e-5);
  // And the fit recovers the true line within 4 standard errors of the
  // least-squares estimates: se(w) = noise / sqrt(Sxx), se(b) ~ noise / sqrt(n).
  EXPECT_NEAR(w, true_w, 4 * noise / std::sqrt(sxx));
  EXPECT_NEAR(b_fit, true_b, 4 * noise * std::sqrt(1.0 / n + mx * mx / sxx));
}

}  // namespace
}  // namespace simdnet::nets
