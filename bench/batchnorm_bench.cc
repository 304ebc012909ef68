// Batchnorm training forward, inference forward and backward: SIMD vs
// reference vs the triad roof, GB/s. Bytes that must move (the per-feature
// vectors are negligible): forward reads x and writes out (8 B/elem);
// backward reads dout and x and writes dx (12 B/elem).
#include <vector>

#include "simdnet/kernels/batchnorm.h"
#include "support/bench_util.h"
#include "support/shapes.h"

namespace {

using namespace simdnet;

// Everything one batchnorm layer holds for a batch of the given shape.
struct Layer {
  kernels::Matrix x, dout, out, dx;
  std::vector<float> gamma, beta, running_mean, running_var, mean, inv_std, dgamma, dbeta;
  Layer(size_t rows, size_t cols)
      : x(bench::filled(rows, cols, 1)),
        dout(bench::filled(rows, cols, 2)),
        out(rows, cols),
        dx(rows, cols),
        gamma(cols, 1.0f),
        beta(cols, 0.0f),
        running_mean(cols, 0.0f),
        running_var(cols, 1.0f),
        mean(cols),
        inv_std(cols),
        dgamma(cols),
        dbeta(cols) {}
  kernels::BatchnormCache cache() { return {mean, inv_std}; }
};

}  // namespace

int main(int argc, char** argv) {
  using bench::Unit;
  const float eps = kernels::kBatchnormEps, momentum = kernels::kBatchnormMomentum;
  for (const auto& s : bench::memory_bound_shapes()) {
    auto layer = std::make_shared<Layer>(s.rows, s.cols);
    // The backward reads the cache of a training forward on the same x.
    kernels::batchnorm_forward_train(layer->x.view(), layer->gamma, layer->beta, eps, momentum,
                                     layer->running_mean, layer->running_var, layer->out.view(),
                                     layer->cache());
    const double elems = double(s.rows) * s.cols;
    for (int t : bench::bench_threads()) {
      // The running statistics drift by a hair per call, which changes no timing.
      bench::register_rate("batchnorm_forward", "simd", s.name, t, {Unit::kGBps, 8 * elems}, [=] {
        kernels::batchnorm_forward_train(layer->x.view(), layer->gamma, layer->beta, eps, momentum,
                                         layer->running_mean, layer->running_var, layer->out.view(),
                                         layer->cache());
      });
      bench::register_rate(
          "batchnorm_forward", "reference", s.name, t, {Unit::kGBps, 8 * elems}, [=] {
            kernels::reference::batchnorm_forward_train(
                layer->x.view(), layer->gamma, layer->beta, eps, momentum, layer->running_mean,
                layer->running_var, layer->out.view(), layer->cache());
          });
      bench::register_triad("batchnorm_forward", s.name, t, 8 * elems);

      bench::register_rate("batchnorm_inference", "simd", s.name, t, {Unit::kGBps, 8 * elems}, [=] {
        kernels::batchnorm_forward_inference(layer->x.view(), layer->gamma, layer->beta,
                                             layer->running_mean, layer->running_var, eps,
                                             layer->out.view());
      });
      bench::register_rate("batchnorm_inference", "reference", s.name, t, {Unit::kGBps, 8 * elems},
                           [=] {
                             kernels::reference::batchnorm_forward_inference(
                                 layer->x.view(), layer->gamma, layer->beta, layer->running_mean,
                                 layer->running_var, eps, layer->out.view());
                           });
      bench::register_triad("batchnorm_inference", s.name, t, 8 * elems);

      bench::register_rate("batchnorm_backward", "simd", s.name, t, {Unit::kGBps, 12 * elems}, [=] {
        kernels::batchnorm_backward(layer->dout.view(), layer->x.view(), layer->gamma,
                                    layer->cache(), layer->dx.view(), layer->dgamma, layer->dbeta);
      });
      bench::register_rate(
          "batchnorm_backward", "reference", s.name, t, {Unit::kGBps, 12 * elems}, [=] {
            kernels::reference::batchnorm_backward(layer->dout.view(), layer->x.view(),
                                                   layer->gamma, layer->cache(), layer->dx.view(),
                                                   layer->dgamma, layer->dbeta);
          });
      bench::register_triad("batchnorm_backward", s.name, t, 12 * elems);
    }
  }
  return bench::run_benchmarks(argc, argv);
}
