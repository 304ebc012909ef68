// matmul accuracy cases: SIMD versus the double-accumulating reference, for
// the three forms, every epilogue, and shapes around the micro-kernel tile
// (MR = 4, 6, 8 rows, with half-height edge tiles; NR = 4·1, 2·4, 2·8, 3·16
// columns, with narrower edge tiles, across the targets), the k block
// (KC = 256), the task tiles, strided views, and the nets' shapes.
//
// Each element is held to its own bound (Higham's γ_n for a sum of n terms):
//   |got - ref| <= (K + 2)·u·(‖op(A)[i,:]‖·‖op(B)[:,j]‖ + |bias_j| + |C0_ij|) + 2u·|ref|
// u = 2⁻²⁴. Any order of summation (blocked, FMA or not) of the K products plus
// bias and C is within γ_{K+2}·Σ|terms|, and Σ_k |a_ik·b_kj| <= ‖a_i‖·‖b_j‖
// (Cauchy-Schwarz); 2u·|ref| covers rounding the two results to float. ReLU
// is 1-Lipschitz and keeps the bound.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "simdnet/kernels/matmul.h"
#include "support/accuracy.h"

namespace simdnet::test {
namespace {

using kernels::MatmulEpilogue;
using kernels::MatmulForm;

constexpr double kUnitRoundoff = 0x1p-24;

struct MatmulShape {
  size_t m, n, k;
  bool strided = false;  // A, B and C are views into wider matrices
};

// mask: the ReLU-backward mask y (relu_mask), C = y > 0 ? C : 0 last.
struct EpilogueKind {
  const char* name;
  bool accumulate, bias, relu, mask = false;
};
const EpilogueKind kEpilogues[] = {
    {"", false, false, false},      {" acc", true, false, false},
    {" bias", false, true, false},  {" bias+relu", false, true, true},
    {" relu", false, false, true},  {" acc+bias+relu", true, true, true},
    {" mask", false, false, false, true}, {" acc+bias+relu+mask", true, true, true, true},
};

const char* kernel_name(MatmulForm form) {
  switch (form) {
    case MatmulForm::kNN: return "matmul_nn";
    case MatmulForm::kTN: return "matmul_tn";
    case MatmulForm::kNT: return "matmul_nt";
  }
  return "matmul";
}

// Row i of op(A) or column j of op(B): element t of vector `index`.
double op_norm(kernels::ConstMatrixView x, bool along_rows, size_t index, size_t length) {
  double sum = 0;
  for (size_t t = 0; t < length; ++t) {
    const double v = along_rows ? x.at(index, t) : x.at(t, index);
    sum += v * v;
  }
  return std::sqrt(sum);
}

CaseResult run_case(MatmulForm form, MatmulShape s, EpilogueKind e, unsigned seed) {
  const bool ta = form == MatmulForm::kTN, tb = form == MatmulForm::kNT;
  const size_t pad = s.strided ? 5 : 0;  // odd, so rows are not vector-aligned
  const size_t a_rows = ta ? s.k : s.m, a_cols = ta ? s.m : s.k;
  const size_t b_rows = tb ? s.n : s.k, b_cols = tb ? s.k : s.n;
  // Stride padding of A and B is NaN (random_matrix): reading it would show.
  const auto a = random_matrix(a_rows, a_cols, seed, -1, 1, s.strided ? a_cols + pad : 0);
  const auto b = random_matrix(b_rows, b_cols, seed + 1, -1, 1, s.strided ? b_cols + pad + 2 : 0);
  auto got = random_matrix(s.m, s.n, seed + 2, -1, 1, s.strided ? s.n + pad + 4 : 0);
  auto ref = random_matrix(s.m, s.n, seed + 2, -1, 1, s.strided ? s.n + pad + 4 : 0);
  const kernels::Matrix c0 = random_matrix(s.m, s.n, seed + 2);
  const std::vector<float> bias = e.bias ? random_vector(s.n, seed + 3) : std::vector<float>{};
  // The mask: random signs, every 7th element exactly 0 (masked: y > 0 is strict).
  auto mask = random_matrix(s.m, s.n, seed + 4, -1, 1, s.strided ? s.n + pad + 6 : 0);
  for (size_t i = 0; i < s.m; ++i)
    for (size_t j = (i % 7); j < s.n; j += 7) mask.view().at(i, j) = 0;
  const MatmulEpilogue epilogue{e.accumulate, bias, e.relu,
                                e.mask ? kernels::ConstMatrixView(mask.view())
                                       : kernels::ConstMatrixView{}};

  kernels::matmul(form, a.view(), b.view(), got.view(), epilogue);
  kernels::reference::matmul(form, a.view(), b.view(), ref.view(), epilogue);

  // Per-element bound (see the top of this file).
  std::vector<double> row_norm(s.m), col_norm(s.n);
  for (size_t i = 0; i < s.m; ++i) row_norm[i] = op_norm(a.view(), !ta, i, s.k);
  for (size_t j = 0; j < s.n; ++j) col_norm[j] = op_norm(b.view(), tb, j, s.k);
  const double rel = 2 * kUnitRoundoff;
  ErrorStats stats;
  double max_bound = 0;
  for (size_t i = 0; i < s.m; ++i) {
    for (size_t j = 0; j < s.n; ++j) {
      const double terms = row_norm[i] * col_norm[j] + (e.bias ? std::fabs(bias[j]) : 0) +
                           (e.accumulate ? std::fabs(c0.at(i, j)) : 0);
      const double bound = double(s.k + 2) * kUnitRoundoff * terms;
      max_bound = std::max(max_bound, bound);
      const double g = got.at(i, j), r = ref.at(i, j);
      const double err = std::isnan(g) ? std::numeric_limits<double>::infinity() : std::fabs(g - r);
      stats.max_abs = std::max(stats.max_abs, err);
      if (std::fabs(r) > bound) stats.max_rel = std::max(stats.max_rel, err / std::fabs(r));
      const double allowed = bound + rel * std::fabs(r);
      if (err > 0) stats.max_tolerance_used = std::max(stats.max_tolerance_used, err / allowed);
      if (!(err <= allowed)) {
        if (stats.failures == 0) stats.first_failure = stats.count;
        ++stats.failures;
      }
      ++stats.count;
    }
    // C's stride padding must be left alone (it holds NaN: compare the bits).
    for (size_t j = s.n; j < got.stride(); ++j) {
      if (std::memcmp(&got.at(i, j), &ref.at(i, j), sizeof(float)) != 0) {
        if (stats.failures == 0) stats.first_failure = stats.count;
        ++stats.failures;
      }
    }
  }
  const Tolerance tolerance{
      max_bound, rel,
      "per element: (K+2)*u*(|op(A) row|*|op(B) col| + |bias| + |C|) + 2u*|ref|, u = 2^-24 "
      "(gamma_{K+2} summation bound, any order, FMA or not; abs column shows its largest value)"};
  return {stats, tolerance};
}

std::string shape_name(const MatmulShape& s, const EpilogueKind& e) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
         (s.strided ? " strided" : "") + e.name;
}

}  // namespace

std::vector<AccuracyCase> matmul_cases() {
  const MatmulForm forms[] = {MatmulForm::kNN, MatmulForm::kTN, MatmulForm::kNT};
  // M×N×K. Around MR (3..9), NR (4..49), KC (255..513), the row tile (127..129),
  // primes, K = 0 (C = bias + C), and strided views.
  const std::vector<MatmulShape> edges = {
      {1, 1, 1},       {2, 3, 5},         {1, 17, 3},       {7, 1, 13},       {3, 5, 0},
      {4, 4, 4},       {5, 7, 11},        {6, 16, 9},       {7, 15, 31},      {8, 48, 64},
      {9, 49, 33},     {13, 47, 255},     {17, 33, 256},    {11, 31, 257},    {19, 97, 513},
      {127, 95, 100},  {129, 145, 61},    {61, 193, 300},   {8, 48, 64, true}, {13, 50, 37, true},
      {97, 101, 263, true}, {3, 2, 1, true},
  };
  std::vector<AccuracyCase> cases;
  unsigned seed = 100;
  // Every shape in every form, the epilogue rotating so that each form meets
  // each epilogue on several shapes.
  for (size_t idx = 0; idx < edges.size(); ++idx) {
    for (size_t f = 0; f < 3; ++f) {
      const MatmulShape s = edges[idx];
      const EpilogueKind e = kEpilogues[(idx + f) % std::size(kEpilogues)];
      const MatmulForm form = forms[f];
      const unsigned sd = seed += 10;
      cases.push_back(
          {kernel_name(form), shape_name(s, e), [=] { return run_case(form, s, e, sd); }});
    }
  }
  // Every form × every epilogue, on a strided shape with edges in M and N and
  // two k blocks (the epilogue happens at the last one only).
  for (const MatmulForm form : forms) {
    for (const EpilogueKind& e : kEpilogues) {
      const MatmulShape s{23, 61, 300, true};
      const unsigned sd = seed += 10;
      cases.push_back(
          {kernel_name(form), shape_name(s, e), [=] { return run_case(form, s, e, sd); }});
    }
  }
  // The nets' shapes: the affine layer 128×784·784×512 forward (NN, + bias),
  // its backward dX = dY·Wᵀ (NT) and dW = Xᵀ·dY (TN, accumulating), and
  // 100×3072·3072×100 (CIFAR-10 input layer, bias + ReLU).
  const struct {
    MatmulForm form;
    MatmulShape s;
    EpilogueKind e;
  } nets[] = {
      {MatmulForm::kNN, {128, 512, 784}, kEpilogues[2]},
      {MatmulForm::kNT, {128, 784, 512}, kEpilogues[0]},
      {MatmulForm::kTN, {784, 512, 128}, kEpilogues[1]},
      {MatmulForm::kNN, {100, 100, 3072}, kEpilogues[3]},
      // The backward dX = dY·Wᵀ with the ReLU backward fused (relu_mask): the
      // MNIST net's output layer (128×10·10×512) and a CIFAR-10 hidden layer.
      {MatmulForm::kNT, {128, 512, 10}, kEpilogues[6]},
      {MatmulForm::kNT, {100, 100, 100}, kEpilogues[6]},
  };
  for (const auto& net : nets) {
    const unsigned sd = seed += 10;
    cases.push_back({kernel_name(net.form), shape_name(net.s, net.e),
                     [=] { return run_case(net.form, net.s, net.e, sd); }});
  }
  return cases;
}

static const bool registered = register_accuracy_cases("matmul", matmul_cases);

}  // namespace simdnet::test
