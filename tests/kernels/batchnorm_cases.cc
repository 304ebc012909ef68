// Batchnorm accuracy cases: the SIMD kernels against the double-accumulating
// reference, one case per output group so each is held to its own tolerance.
//
// Tolerances are worst-case bounds of the SIMD kernel's arithmetic (eps is
// float's machine epsilon, 2^-23; R = 64 the rows of one statistics block):
// - training statistics: float partial sums over at most R rows of a tile,
//   combined in double. sum (x - c)^2 has terms >= 0, so var is within R eps
//   relatively and inv_std = 1/sqrt(var + eps) within R/2 eps; the mean is
//   within R eps * max|x - mean| (the centered sum) plus its rounding to float.
// - out = gamma * x_hat + beta inherits those: abs (2R) eps * max|gamma x_hat|.
// - backward: dbeta and dgamma are float sums over at most R rows, combined in
//   double: within R eps * N * max|dout| (* max|x_hat| for dgamma); dx mixes
//   them in N dout - dbeta - x_hat dgamma with terms up to
//   N max|dout| (1 + max|x_hat|^2), scaled by gamma inv_std / N.
// Each rel part covers the final rounding of a double result to float.
//
// Inputs: x = offset + U(-1, 1) with offset 0, and offset 1000 to show the
// statistics are computed stably (there E[x^2] - E[x]^2 in float would lose
// all digits of var ~ 1/3).
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "simdnet/kernels/batchnorm.h"
#include "support/accuracy.h"

namespace simdnet::test {
namespace {

using kernels::Matrix;
constexpr double kEps = std::numeric_limits<float>::epsilon();
constexpr double kBlockRows = 64;  // rows per statistics block in kernels/batchnorm.cc
constexpr float kEpsilon = kernels::kBatchnormEps, kMomentum = kernels::kBatchnormMomentum;

struct Batch {
  RowShape shape;
  float offset = 0;  // added to every x
  std::string name() const {
    return shape.name() + (offset != 0 ? " x+" + std::to_string(int(offset)) : "");
  }
};

std::vector<Batch> batches() {
  std::vector<Batch> all;
  for (const RowShape& s : row_shapes()) all.push_back({s});
  // The nets' shapes (hidden layers at batch 128 and 100) beside row_shapes()' 128x512
  // and 256x1024, and three column groups of the SIMD kernel's tiles (1024
  // columns), the last one partial. (1024x4096 would cost seconds per target.)
  all.push_back({{128, 100, 0}});
  all.push_back({{100, 100, 0}});
  all.push_back({{130, 2100, 0}});
  // |mean| >> std: 1, many blocks with a partial last one, a strided view.
  for (RowShape s :
       {RowShape{1, 7, 0}, RowShape{1000, 37, 0}, RowShape{256, 1024, 0}, RowShape{97, 257, 264}}) {
    all.push_back({s, 1000.0f});
  }
  return all;
}

// Inputs of one batch and the outputs of the SIMD kernel and the reference.
struct Run {
  Matrix x, dout;
  std::vector<float> gamma, beta, running_mean, running_var;
  explicit Run(const Batch& b)
      : x(random_matrix(b.shape.rows, b.shape.cols, 11, b.offset - 1, b.offset + 1,
                        b.shape.stride)),
        dout(random_matrix(b.shape.rows, b.shape.cols, 12, -1, 1, b.shape.stride)),
        gamma(random_vector(b.shape.cols, 13, 0.5f, 1.5f)),
        beta(random_vector(b.shape.cols, 14, -0.5f, 0.5f)),
        running_mean(random_vector(b.shape.cols, 15, -0.5f, 0.5f)),
        running_var(random_vector(b.shape.cols, 16, 0.5f, 1.5f)) {}
  size_t rows() const { return x.rows(); }
  size_t cols() const { return x.cols(); }
};

struct TrainOutputs {
  Matrix out;
  std::vector<float> mean, inv_std, running_mean, running_var;
  TrainOutputs(const Run& r, size_t stride)
      : out(r.rows(), r.cols(), stride),
        mean(r.cols()),
        inv_std(r.cols()),
        running_mean(r.running_mean),
        running_var(r.running_var) {}
  kernels::BatchnormCache cache() { return {mean, inv_std}; }
};

using TrainFunction = void (*)(kernels::ConstMatrixView, std::span<const float>,
                               std::span<const float>, float, float, std::span<float>,
                               std::span<float>, kernels::MatrixView, kernels::BatchnormCache);

// One training forward (SIMD kernel or reference) on the run's inputs.
TrainOutputs train(const Run& r, size_t stride, bool reference) {
  const TrainFunction forward =
      reference ? static_cast<TrainFunction>(kernels::reference::batchnorm_forward_train)
                : static_cast<TrainFunction>(kernels::batchnorm_forward_train);
  TrainOutputs o(r, stride);
  forward(r.x.view(), r.gamma, r.beta, kEpsilon, kMomentum, o.running_mean, o.running_var,
          o.out.view(), o.cache());
  return o;
}

double max_abs(std::span<const float> v) {
  double m = 0;
  for (float e : v) m = std::max(m, double(std::fabs(e)));
  return m;
}

// max |x_ij - mean_j| and max |x_hat_ij| by the reference's statistics.
struct Spread {
  double dev = 0, x_hat = 0;
};
Spread spread(const Run& r, const TrainOutputs& ref) {
  Spread s;
  for (size_t i = 0; i < r.rows(); ++i)
    for (size_t j = 0; j < r.cols(); ++j) {
      const double dev = std::fabs(double(r.x.at(i, j)) - ref.mean[j]);
      s.dev = std::max(s.dev, dev);
      s.x_hat = std::max(s.x_hat, dev * ref.inv_std[j]);
    }
  return s;
}

CaseResult forward_out_case(const Batch& b) {
  const Run r(b);
  const TrainOutputs got = train(r, b.shape.stride, false), ref = train(r, 0, true);
  const double gamma_x_hat = max_abs(r.gamma) * std::max(1.0, spread(r, ref).x_hat);
  const Tolerance tol{2 * kBlockRows * kEps * gamma_x_hat, 2 * kEps,
                      "abs 2R eps max|gamma x_hat|: var and mean from float sums over "
                      "R = 64-row blocks; rel: rounding"};
  return {compare(got.out.view(), ref.out.view(), tol), tol};
}

CaseResult train_mean_case(const Batch& b) {
  const Run r(b);
  const TrainOutputs got = train(r, b.shape.stride, false), ref = train(r, 0, true);
  const Tolerance tol{kBlockRows * kEps * std::max(1.0, spread(r, ref).dev), kEps,
                      "abs R eps max|x - mean|: centered float sums over R = 64 rows; "
                      "rel: rounding to float (cache.mean, running_mean)"};
  return {merge(compare(got.mean, ref.mean, tol), compare(got.running_mean, ref.running_mean, tol)),
          tol};
}

CaseResult train_var_case(const Batch& b) {
  const Run r(b);
  const TrainOutputs got = train(r, b.shape.stride, false), ref = train(r, 0, true);
  const Tolerance tol{0, kBlockRows * kEps,
                      "rel R eps: sum (x - c)^2 in float over R = 64 rows, terms >= 0 "
                      "(cache.inv_std, running_var)"};
  return {
      merge(compare(got.inv_std, ref.inv_std, tol), compare(got.running_var, ref.running_var, tol)),
      tol};
}

CaseResult inference_case(const Batch& b) {
  const Run r(b);
  Matrix got(r.rows(), r.cols(), b.shape.stride), ref(r.rows(), r.cols());
  kernels::batchnorm_forward_inference(r.x.view(), r.gamma, r.beta, r.running_mean, r.running_var,
                                       kEpsilon, got.view());
  kernels::reference::batchnorm_forward_inference(r.x.view(), r.gamma, r.beta, r.running_mean,
                                                  r.running_var, kEpsilon, ref.view());
  double x_hat = 0;
  for (size_t i = 0; i < r.rows(); ++i)
    for (size_t j = 0; j < r.cols(); ++j)
      x_hat = std::max(x_hat, std::fabs(double(r.x.at(i, j)) - r.running_mean[j]) /
                                  std::sqrt(double(r.running_var[j]) + kEpsilon));
  const Tolerance tol{4 * kEps * max_abs(r.gamma) * std::max(1.0, x_hat), 2 * kEps,
                      "abs 4 eps max|gamma x_hat|: x - mean, scale, one fma, each rounded once"};
  return {compare(got.view(), ref.view(), tol), tol};
}

// Backward of one batch: both implementations get the reference forward's cache.
struct BackwardOutputs {
  Matrix dx;
  std::vector<float> dgamma, dbeta;
};
struct BackwardRun {
  Run run;
  TrainOutputs forward;
  BackwardOutputs got, ref;
  explicit BackwardRun(const Batch& b)
      : run(b),
        forward(train(run, 0, true)),
        got{Matrix(run.rows(), run.cols(), b.shape.stride), std::vector<float>(run.cols()),
            std::vector<float>(run.cols())},
        ref{Matrix(run.rows(), run.cols()), std::vector<float>(run.cols()),
            std::vector<float>(run.cols())} {
    const kernels::ConstBatchnormCache cache = forward.cache();
    kernels::batchnorm_backward(run.dout.view(), run.x.view(), run.gamma, cache, got.dx.view(),
                                got.dgamma, got.dbeta);
    kernels::reference::batchnorm_backward(run.dout.view(), run.x.view(), run.gamma, cache,
                                           ref.dx.view(), ref.dgamma, ref.dbeta);
  }
  double max_dout() const {
    double m = 0;
    for (size_t i = 0; i < run.rows(); ++i)
      m = std::max(m, max_abs({run.dout.view().row(i), run.cols()}));
    return m;
  }
};

CaseResult dx_case(const Batch& b) {
  BackwardRun br(b);
  const double x_hat = spread(br.run, br.forward).x_hat;
  double gamma_inv_std = 0;
  for (size_t j = 0; j < br.run.cols(); ++j)
    gamma_inv_std = std::max(gamma_inv_std, double(br.run.gamma[j]) * br.forward.inv_std[j]);
  const Tolerance tol{(kBlockRows + 4) * kEps * gamma_inv_std * br.max_dout() * (1 + x_hat * x_hat),
                      2 * kEps,
                      "abs (R+4) eps max|gamma inv_std dout| (1 + max x_hat^2): dbeta, dgamma "
                      "from R = 64-row float sums, 4 roundings"};
  return {compare(br.got.dx.view(), br.ref.dx.view(), tol), tol};
}

CaseResult dgamma_case(const Batch& b) {
  BackwardRun br(b);
  const double x_hat = spread(br.run, br.forward).x_hat;
  const Tolerance tol{kBlockRows * kEps * double(b.shape.rows) * br.max_dout() * x_hat, kEps,
                      "abs R eps N max|dout x_hat|: float sums over R = 64 rows, combined in "
                      "double; rel: rounding"};
  return {compare(br.got.dgamma, br.ref.dgamma, tol), tol};
}

CaseResult dbeta_case(const Batch& b) {
  BackwardRun br(b);
  const Tolerance tol{kBlockRows * kEps * double(b.shape.rows) * br.max_dout(), kEps,
                      "abs R eps N max|dout|: float sums over R = 64 rows, combined in double; "
                      "rel: rounding"};
  return {compare(br.got.dbeta, br.ref.dbeta, tol), tol};
}

}  // namespace

std::vector<AccuracyCase> batchnorm_cases() {
  std::vector<AccuracyCase> cases;
  const std::pair<const char*, CaseResult (*)(const Batch&)> kinds[] = {
      {"batchnorm_forward_train", forward_out_case},
      {"batchnorm_train mean", train_mean_case},
      {"batchnorm_train var", train_var_case},
      {"batchnorm_inference", inference_case},
      {"batchnorm_backward dx", dx_case},
      {"batchnorm_backward dgamma", dgamma_case},
      {"batchnorm_backward dbeta", dbeta_case}};
  for (const auto& [kernel, run] : kinds) {
    for (const Batch& b : batches()) {
      cases.push_back({kernel, b.name(), [b, run = run] { return run(b); }});
    }
  }
  return cases;
}

static const bool registered = register_accuracy_cases("batchnorm", batchnorm_cases);

}  // namespace simdnet::test
