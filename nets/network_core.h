// The fully-connected network, templated on its scalar type:
//
//   {affine - [batchnorm] - relu - [dropout]} x (L - 1) - affine - softmax
//
// Network<float> runs the SIMD kernels and is what FullyConnectedNet (the
// public class, simdnet/nets/network.h) wraps. Network<double> runs the
// kernels' scalar references in double: the gradient checks use it, against
// centered differences that only double makes sharp enough.
//
// Parameters are the network's (parameters(), CS231n's names in order W1, b1,
// gamma1, beta1, W2, ..., WL, bL); the layers hold views of them, re-pointed
// at the start of every pass (bind), so a caller may replace a Parameter's
// matrices (a checkpoint load) between passes as long as the shapes stay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nets/layers/affine.h"
#include "nets/layers/batchnorm.h"
#include "nets/layers/dropout.h"
#include "nets/layers/mode.h"
#include "nets/layers/relu.h"
#include "nets/layers/softmax_loss.h"
#include "simdnet/kernels/matrix.h"
#include "simdnet/nets/network.h"

namespace simdnet::nets {

// Double counterparts of the public Parameter and Buffer.
using ParameterD = ParameterOf<double>;
using BufferD = BufferOf<double>;

template <class T>
class Network {
 public:
  using View = kernels::MatrixViewOf<T>;
  using ConstView = kernels::MatrixViewOf<const T>;
  using Parameter = ParameterOf<T>;
  using Buffer = BufferOf<T>;

  // Rows per forward pass in scores() and predict(): bounds the activations.
  static constexpr size_t kInferenceRows = 256;

  // Validates the spec (validate_net_spec) and initializes from spec.seed:
  // W_l ~ init_stddev(spec, fan_in) * N(0, 1) from stream streams::init(index
  // of W_l in parameters()); b = 0, gamma = 1, beta = 0 (CS231n); running
  // mean 0 and running variance 1.
  explicit Network(const NetSpec& spec);

  const NetSpec& spec() const { return spec_; }

  // Train mode: mean softmax cross-entropy + 0.5 * l2 * sum_l ||W_l||^2, and
  // every Parameter::grad (dW_l includes l2 * W_l). Dropout masks are keyed by
  // (spec.seed, streams::dropout(layer, step)). Updates the running stats.
  T loss_and_gradients(ConstView x, std::span<const int32_t> y, uint64_t step);
  // The same loss, forward only (for numeric gradients); also updates the
  // running statistics, as any train-mode forward does.
  T loss(ConstView x, std::span<const int32_t> y, uint64_t step);

  // Test mode (running statistics, no dropout), kInferenceRows at a time.
  void scores(ConstView x, View out);
  void predict(ConstView x, std::span<int32_t> classes);

  std::vector<Parameter>& parameters() { return parameters_; }
  const std::vector<Parameter>& parameters() const { return parameters_; }
  std::vector<Buffer>& buffers() { return buffers_; }
  const std::vector<Buffer>& buffers() const { return buffers_; }

 private:
  // One {affine - [batchnorm] - relu - [dropout]} block and where its
  // parameters sit in parameters_ / buffers_.
  struct Hidden {
    Affine<T> affine;
    std::optional<BatchNorm<T>> batchnorm;
    Relu<T> relu;
    std::optional<Dropout<T>> dropout;
    size_t W = 0, b = 0, gamma = 0, beta = 0;    // indices into parameters_
    size_t running_mean = 0, running_var = 0;    // indices into buffers_
  };

  size_t add_parameter(const std::string& name, size_t rows, size_t cols);
  size_t add_buffer(const std::string& name, size_t cols, T initial);
  void initialize();
  // Points the layers at the parameters; throws if a shape changed.
  void bind();
  void check_input(const char* method, ConstView x, size_t labels) const;
  ConstView forward(ConstView x, Mode mode, uint64_t step);
  void backward();
  T l2_penalty() const;
  void add_l2_gradients();

  NetSpec spec_;
  std::vector<Parameter> parameters_;
  std::vector<Buffer> buffers_;
  std::vector<Hidden> hidden_;
  Affine<T> output_;
  size_t output_W_ = 0, output_b_ = 0;
  std::vector<size_t> weights_;  // indices of W1..WL: the L2 penalty's terms
  SoftmaxCrossEntropy<T> loss_;
};

}  // namespace simdnet::nets
