// Update-rule accuracy cases: SIMD versus reference, one step from random
// parameters, gradients and state, at lengths 1, primes, tails shorter than a
// vector, a length that crosses the 16K-element blocks, the benchmark sizes,
// unaligned spans, and with weight decay; and the fused overloads over a whole
// net's parameters (one block spanning many small ones, big ones crossing
// blocks) against the reference run per parameter.
#include <functional>
#include <span>
#include <string>

#include "simdnet/kernels/optimizer.h"
#include "support/accuracy.h"

namespace simdnet::test {
namespace {

struct Range {
  float lo, hi;
};

// The arrays of one update: w, dw and two state arrays (the rules use 0, 1 or
// 2 of them), each with `offset` leading elements so that the spans can start
// unaligned.
class UpdateArrays {
 public:
  UpdateArrays(size_t n, size_t offset, unsigned seed, Range a, Range b)
      : offset_(offset),
        w_(random_vector(n + offset, seed, -1, 1)),
        dw_(random_vector(n + offset, seed + 1, -1, 1)),
        a_(random_vector(n + offset, seed + 2, a.lo, a.hi)),
        b_(random_vector(n + offset, seed + 3, b.lo, b.hi)) {}
  std::span<float> w() { return std::span(w_).subspan(offset_); }
  std::span<const float> dw() const { return std::span(dw_).subspan(offset_); }
  std::span<float> a() { return std::span(a_).subspan(offset_); }
  std::span<float> b() { return std::span(b_).subspan(offset_); }

 private:
  size_t offset_;
  std::vector<float> w_, dw_, a_, b_;
};

// w and both state arrays (unused ones are unchanged on both sides).
ErrorStats compare_all(UpdateArrays& got, UpdateArrays& ref, const Tolerance& tol) {
  return merge(compare(got.w(), ref.w(), tol),
               merge(compare(got.a(), ref.a(), tol), compare(got.b(), ref.b(), tol)));
}

const Tolerance kTolerance{
    0x1p-22, 0x1p-21,
    "a few float roundings (sqrt, div exact-rounded; FMA or not per target) of terms <= 1 "
    "(|w|, |dw| <= 1, lr <= 1e-2) vs double rounded once: 2^-21 relative; 2^-22 absolute "
    "(2 ulp of 1) where w' cancels"};

// One rule: its state ranges and a call of the SIMD kernel or the reference,
// on one parameter's arrays or (update_fused) on several at once.
using Fused = std::span<const kernels::ParameterArrays>;
struct UpdateRule {
  std::string name;
  Range state_a, state_b;
  std::function<void(UpdateArrays&, bool reference, float weight_decay, int64_t t)> update;
  std::function<void(Fused, bool reference, float weight_decay, int64_t t)> update_fused;
};

std::vector<UpdateRule> update_rules() {
  const Range none{0, 0}, velocity{-0.1f, 0.1f}, squares{0, 0.01f}, first_moment{-0.1f, 0.1f};
  return {
      {"sgd_update", none, none,
       [](UpdateArrays& x, bool ref, float wd, int64_t) {
         const kernels::SgdConfig config{.learning_rate = 1e-2f, .weight_decay = wd};
         ref ? kernels::reference::sgd_update(x.w(), x.dw(), config)
             : kernels::sgd_update(x.w(), x.dw(), config);
       },
       [](Fused x, bool ref, float wd, int64_t) {
         const kernels::SgdConfig config{.learning_rate = 1e-2f, .weight_decay = wd};
         ref ? kernels::reference::sgd_update(x, config) : kernels::sgd_update(x, config);
       }},
      {"sgd_momentum_update", velocity, none,
       [](UpdateArrays& x, bool ref, float wd, int64_t) {
         const kernels::SgdMomentumConfig config{.weight_decay = wd};
         ref ? kernels::reference::sgd_momentum_update(x.w(), x.dw(), x.a(), config)
             : kernels::sgd_momentum_update(x.w(), x.dw(), x.a(), config);
       },
       [](Fused x, bool ref, float wd, int64_t) {
         const kernels::SgdMomentumConfig config{.weight_decay = wd};
         ref ? kernels::reference::sgd_momentum_update(x, config)
             : kernels::sgd_momentum_update(x, config);
       }},
      {"nesterov_update", velocity, none,
       [](UpdateArrays& x, bool ref, float wd, int64_t) {
         const kernels::NesterovConfig config{.weight_decay = wd};
         ref ? kernels::reference::nesterov_update(x.w(), x.dw(), x.a(), config)
             : kernels::nesterov_update(x.w(), x.dw(), x.a(), config);
       },
       [](Fused x, bool ref, float wd, int64_t) {
         const kernels::NesterovConfig config{.weight_decay = wd};
         ref ? kernels::reference::nesterov_update(x, config)
             : kernels::nesterov_update(x, config);
       }},
      {"rmsprop_update", squares, none,
       [](UpdateArrays& x, bool ref, float wd, int64_t) {
         const kernels::RmspropConfig config{.weight_decay = wd};
         ref ? kernels::reference::rmsprop_update(x.w(), x.dw(), x.a(), config)
             : kernels::rmsprop_update(x.w(), x.dw(), x.a(), config);
       },
       [](Fused x, bool ref, float wd, int64_t) {
         const kernels::RmspropConfig config{.weight_decay = wd};
         ref ? kernels::reference::rmsprop_update(x, config) : kernels::rmsprop_update(x, config);
       }},
      {"adam_update", first_moment, squares,
       [](UpdateArrays& x, bool ref, float wd, int64_t t) {
         const kernels::AdamConfig config{.weight_decay = wd};
         ref ? kernels::reference::adam_update(x.w(), x.dw(), x.a(), x.b(), config, t)
             : kernels::adam_update(x.w(), x.dw(), x.a(), x.b(), config, t);
       },
       [](Fused x, bool ref, float wd, int64_t t) {
         const kernels::AdamConfig config{.weight_decay = wd};
         ref ? kernels::reference::adam_update(x, config, t)
             : kernels::adam_update(x, config, t);
       }},
  };
}

}  // namespace

std::vector<AccuracyCase> optimizer_cases() {
  struct Size {
    size_t n;
    std::string name;
  };
  const std::vector<Size> sizes = {
      {1, "1"},         {2, "2"},         {3, "3"},       {7, "7"},           {15, "15"},
      {16, "16"},       {17, "17"},       {31, "31"},     {33, "33"},         {101, "101"},
      {1009, "1009"},   {16387, "16387"}, {65536, "128x512"}, {262144, "256x1024"}};
  std::vector<AccuracyCase> cases;
  const auto add = [&](const UpdateRule& rule, size_t n, const std::string& shape, size_t offset,
                       float wd) {
    cases.push_back({rule.name, shape, [rule, n, offset, wd] {
                       UpdateArrays got(n, offset, 31, rule.state_a, rule.state_b), ref = got;
                       rule.update(got, false, wd, 10);
                       rule.update(ref, true, wd, 10);
                       return CaseResult{compare_all(got, ref, kTolerance), kTolerance};
                     }});
  };
  for (const UpdateRule& rule : update_rules()) {
    for (const Size& s : sizes) add(rule, s.n, s.name, 0, 0);
    add(rule, 4097, "4097 unaligned", 1, 0);
    add(rule, 17, "17 weight_decay", 0, 0.1f);
    add(rule, 16387, "16387 weight_decay", 0, 0.1f);
  }
  // The fused overloads on a whole net's parameters: CS231n's CIFAR-10 net
  // [100]x5 with batchnorm (W1 3072x100 crosses 19 blocks, then 21 arrays of
  // 100 to 10000 that share blocks), plus odd lengths, one unaligned.
  const std::vector<size_t> net = {307200, 100, 100, 100, 10000, 100, 100, 100, 10000, 100, 100,
                                   100, 10000, 100, 100, 100, 10000, 100, 100, 100, 1000, 10};
  const std::vector<size_t> odd = {1, 16383, 17, 16385, 0, 3, 40000};
  const auto add_fused = [&](const UpdateRule& rule, const std::vector<size_t>& lengths,
                             const std::string& shape, float wd) {
    cases.push_back({rule.name, shape, [rule, lengths, wd] {
                       std::vector<UpdateArrays> got, ref;
                       for (size_t p = 0; p < lengths.size(); ++p)
                         got.emplace_back(lengths[p], p % 5 == 1 ? 1 : 0, 31 + 4 * unsigned(p),
                                          rule.state_a, rule.state_b);
                       ref = got;
                       auto arrays = [](std::vector<UpdateArrays>& x) {
                         std::vector<kernels::ParameterArrays> out;
                         for (UpdateArrays& u : x) out.push_back({u.w(), u.dw(), u.a(), u.b()});
                         return out;
                       };
                       rule.update_fused(arrays(got), false, wd, 10);
                       rule.update_fused(arrays(ref), true, wd, 10);
                       ErrorStats e;
                       for (size_t p = 0; p < got.size(); ++p)
                         e = merge(e, compare_all(got[p], ref[p], kTolerance));
                       return CaseResult{e, kTolerance};
                     }});
  };
  for (const UpdateRule& rule : update_rules()) {
    add_fused(rule, net, "fused cifar10 net (22 params)", 0);
    add_fused(rule, odd, "fused odd lengths weight_decay", 0.1f);
  }
  // The largest benchmark size once, on the rule with the most arithmetic.
  add(update_rules().back(), 1024 * 4096, "1024x4096", 0, 0);
  return cases;
}

static const bool registered = register_accuracy_cases("optimizer", optimizer_cases);

}  // namespace simdnet::test
