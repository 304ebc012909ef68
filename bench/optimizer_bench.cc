// Update rules: SIMD vs reference vs the triad roof, GB/s, over flat arrays of
// the memory-bound shapes' element counts. Bytes that must move per element:
//   sgd:                        read w, dw; write w                 12 B
//   sgd_momentum, nesterov:     + read and write the velocity       20 B
//   rmsprop:                    + read and write the cache          20 B
//   adam:                       read w, dw, m, v; write w, m, v     28 B
#include <memory>
#include <vector>

#include "simdnet/kernels/matrix.h"
#include "simdnet/kernels/optimizer.h"
#include "support/bench_util.h"
#include "support/shapes.h"

namespace {

using simdnet::kernels::AlignedVector;

// Parameters, gradient and two state arrays of n elements, realistic values
// (the rules' speed does not depend on them, but denormals would).
struct Arrays {
  AlignedVector w, dw, a, b;
  explicit Arrays(size_t n) : w(n), dw(n), a(n), b(n) {
    for (size_t i = 0; i < n; ++i) {
      w[i] = 0.5f - 1e-6f * float(i % 1000);
      dw[i] = 1e-3f * float(i % 7) - 3.5e-3f;  // never 0: states decaying to denormals are slow
      a[i] = 1e-4f;
      b[i] = 1e-6f;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace simdnet;
  using bench::Unit;
  for (const auto& s : bench::memory_bound_shapes()) {
    const size_t n = s.rows * s.cols;
    auto x = std::make_shared<Arrays>(n);
    const double elems = double(n);
    // Tiny learning rates: w barely moves over the many timed calls.
    const kernels::SgdConfig sgd{.learning_rate = 1e-6f};
    const kernels::SgdMomentumConfig momentum{.learning_rate = 1e-6f};
    const kernels::RmspropConfig rmsprop{.learning_rate = 1e-6f};
    const kernels::AdamConfig adam{.learning_rate = 1e-6f};
    for (int t : bench::bench_threads()) {
      const auto both = [&](const char* kernel, double bytes_per_elem, auto simd, auto ref) {
        bench::register_rate(kernel, "simd", s.name, t, {Unit::kGBps, bytes_per_elem * elems},
                             simd);
        bench::register_rate(kernel, "reference", s.name, t,
                             {Unit::kGBps, bytes_per_elem * elems}, ref);
        bench::register_triad(kernel, s.name, t, bytes_per_elem * elems);
      };
      both(
          "sgd_update", 12, [=] { kernels::sgd_update(x->w.span(), x->dw.span(), sgd); },
          [=] { kernels::reference::sgd_update(x->w.span(), x->dw.span(), sgd); });
      both(
          "sgd_momentum_update", 20,
          [=] { kernels::sgd_momentum_update(x->w.span(), x->dw.span(), x->a.span(), momentum); },
          [=] {
            kernels::reference::sgd_momentum_update(x->w.span(), x->dw.span(), x->a.span(),
                                                    momentum);
          });
      both(
          "nesterov_update", 20,
          [=] { kernels::nesterov_update(x->w.span(), x->dw.span(), x->a.span(), momentum); },
          [=] {
            kernels::reference::nesterov_update(x->w.span(), x->dw.span(), x->a.span(), momentum);
          });
      both(
          "rmsprop_update", 20,
          [=] { kernels::rmsprop_update(x->w.span(), x->dw.span(), x->b.span(), rmsprop); },
          [=] {
            kernels::reference::rmsprop_update(x->w.span(), x->dw.span(), x->b.span(), rmsprop);
          });
      both(
          "adam_update", 28,
          [=] {
            kernels::adam_update(x->w.span(), x->dw.span(), x->a.span(), x->b.span(), adam, 10);
          },
          [=] {
            kernels::reference::adam_update(x->w.span(), x->dw.span(), x->a.span(), x->b.span(),
                                            adam, 10);
          });
    }
  }
  return bench::run_benchmarks(argc, argv);
}
