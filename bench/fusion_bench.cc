// The training step's two fusions of issue 5, each timed against what it
// replaces, in the same run: impl "simd" is the fused form, "unfused" what it
// replaces (so scripts/main's summary shows simd ÷ unfused, the speed-up):
//
//   optimizer_step   one update of all of a net's parameters: one fused call
//                    (kernels::ParameterArrays, one parallel pass) vs one call
//                    per parameter, as nets::Optimizer::step did before.
//                    GB/s of bytes that must move: sgd reads w, dw and writes w
//                    (12 B/element); sgd_momentum also reads and writes the
//                    velocity (20 B/element).
//   matmul_nt_relu   the backward dx = (dout·Wᵀ)·[y > 0]: the NT matmul with
//                    the ReLU mask in its store vs the NT matmul and then
//                    relu_backward(dx, y, dx). GFLOP/s = 2·M·N·K.
//
// Shapes are the issue-5 nets': the MNIST MLP 784-512-10 (its only fusable
// dx is the output layer's, batch × 10 · 10 × 512) and CS231n's CIFAR-10 net
// [100]x5 with batchnorm (22 parameters; dx 100 × 100 · 100 × 100).
#include <memory>
#include <string>
#include <vector>

#include "simdnet/kernels/matmul.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/kernels/relu.h"
#include "support/bench_util.h"
#include "support/shapes.h"

namespace {

using namespace simdnet;
using bench::Unit;

// Every parameter's w, dw and velocity, as the nets' Optimizer keeps them.
struct NetParameters {
  std::vector<kernels::Matrix> w, dw, velocity;
  std::vector<kernels::ParameterArrays> arrays;
  size_t elements = 0;
  explicit NetParameters(const std::vector<std::pair<size_t, size_t>>& shapes) {
    unsigned seed = 1;
    for (const auto& [rows, cols] : shapes) {
      w.push_back(bench::filled(rows, cols, seed++));
      dw.push_back(bench::filled(rows, cols, seed++));
      velocity.emplace_back(rows, cols);
      elements += rows * cols;
    }
    for (size_t p = 0; p < w.size(); ++p)
      arrays.push_back({w[p].storage(), dw[p].storage(), velocity[p].storage(), {}});
  }
};

std::vector<std::pair<size_t, size_t>> mnist_net() {
  return {{784, 512}, {1, 512}, {512, 10}, {1, 10}};
}

// W, b, gamma, beta per hidden layer of 100, then W6, b6.
std::vector<std::pair<size_t, size_t>> cifar10_net() {
  std::vector<std::pair<size_t, size_t>> shapes;
  size_t fan_in = 3072;
  for (int l = 0; l < 5; ++l) {
    shapes.insert(shapes.end(), {{fan_in, 100}, {1, 100}, {1, 100}, {1, 100}});
    fan_in = 100;
  }
  shapes.insert(shapes.end(), {{100, 10}, {1, 10}});
  return shapes;
}

void register_optimizer(const std::string& name, std::vector<std::pair<size_t, size_t>> shapes,
                        int threads) {
  auto net = std::make_shared<NetParameters>(shapes);
  const double elems = double(net->elements);
  // A tiny learning rate keeps the weights finite over millions of steps.
  const kernels::SgdConfig sgd{.learning_rate = 1e-7f};
  const kernels::SgdMomentumConfig momentum{.learning_rate = 1e-7f};
  bench::register_rate("optimizer_step_sgd", "unfused", name, threads, {Unit::kGBps, 12 * elems},
                       [=] {
                         for (const auto& p : net->arrays) kernels::sgd_update(p.w, p.dw, sgd);
                       });
  bench::register_rate("optimizer_step_sgd", "simd", name, threads, {Unit::kGBps, 12 * elems},
                       [=] { kernels::sgd_update(net->arrays, sgd); });
  bench::register_rate("optimizer_step_momentum", "unfused", name, threads,
                       {Unit::kGBps, 20 * elems}, [=] {
                         for (const auto& p : net->arrays)
                           kernels::sgd_momentum_update(p.w, p.dw, p.state0, momentum);
                       });
  bench::register_rate("optimizer_step_momentum", "simd", name, threads,
                       {Unit::kGBps, 20 * elems},
                       [=] { kernels::sgd_momentum_update(net->arrays, momentum); });
}

// dx (m × n) = dout (m × k) · Wᵀ (W: n × k), masked by y (m × n).
void register_matmul_relu(size_t m, size_t n, size_t k, int threads) {
  auto dout = std::make_shared<kernels::Matrix>(bench::filled(m, k, 1));
  auto w = std::make_shared<kernels::Matrix>(bench::filled(n, k, 2));
  auto y = std::make_shared<kernels::Matrix>(bench::filled(m, n, 3));
  auto dx = std::make_shared<kernels::Matrix>(m, n);
  const std::string shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  const double flop = 2.0 * double(m) * double(n) * double(k);
  bench::register_rate("matmul_nt_relu", "unfused", shape, threads, {Unit::kGflops, flop}, [=] {
    kernels::matmul(kernels::MatmulForm::kNT, dout->view(), w->view(), dx->view());
    kernels::relu_backward(dx->view(), y->view(), dx->view());
  });
  bench::register_rate("matmul_nt_relu", "simd", shape, threads, {Unit::kGflops, flop}, [=] {
    kernels::matmul(kernels::MatmulForm::kNT, dout->view(), w->view(), dx->view(),
                    {.relu_mask = y->view()});
  });
}

}  // namespace

int main(int argc, char** argv) {
  for (int t : bench::bench_threads()) {
    register_optimizer("mnist_784-512-10", mnist_net(), t);
    register_optimizer("cifar10_100x5_bn", cifar10_net(), t);
    for (size_t batch : {32, 128, 512}) register_matmul_relu(batch, 512, 10, t);
    register_matmul_relu(100, 100, 100, t);
  }
  return bench::run_benchmarks(argc, argv);
}
