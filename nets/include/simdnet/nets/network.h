// The fully-connected network of CS231n assignment 2:
//
//   {affine - [batchnorm] - relu - [dropout]} x (L - 1) - affine - softmax
//
// with CS231n's parameter names (W1, b1, gamma1, beta1, ..., WL, bL) so that
// tables and checkpoints read the same as the notebooks. Built on the kernels
// (simdnet::kernels); nets know nothing of Highway or TBB.
//
// This header is the contract between the network (nets/network*, layers) and
// its users (Solver, checkpoints, the simdnet command).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "simdnet/kernels/matrix.h"

namespace simdnet::nets {

enum class Init {
  kWeightScale,  // CS231n: W ~ weight_scale * N(0, 1)
  kHe,           // W ~ N(0, 2 / fan_in)
  kXavier,       // W ~ N(0, 1 / fan_in)  (Glorot's variance for ReLU-free layers: 2 / (fan_in + fan_out))
};

struct NetSpec {
  size_t input_dim = 0;
  std::vector<size_t> hidden_dims;  // one entry per hidden layer, each > 0
  size_t num_classes = 10;
  bool batchnorm = false;
  float dropout = 0.0f;             // DROP probability p in [0, 1); 0 = no dropout layers
  float l2 = 0.0f;                  // CS231n's reg: loss += 0.5 * l2 * sum ||W_l||^2, dW_l += l2 * W_l
  Init init = Init::kHe;
  float weight_scale = 1e-2f;       // used by Init::kWeightScale
  uint64_t seed = 0;                // keys initialization and dropout masks (counter-based: Philox)
};

// Throws std::invalid_argument, with a message naming the field, its value and
// what was expected ("NetSpec.dropout = 1: the drop probability p must be in
// [0, 1)"), unless: input_dim > 0; hidden_dims non-empty (at most 255 layers)
// with every entry > 0; num_classes >= 2; 0 <= dropout < 1; l2 finite and
// >= 0; weight_scale finite and > 0 when init is kWeightScale.
void validate_net_spec(const NetSpec& spec);

// A trainable tensor and its gradient, named like CS231n: W1 (D_in x D_out),
// b1 (1 x D_out), gamma1, beta1 (1 x D_out), ... The network holds them in
// float; the gradient checks build the same network in double.
template <class T>
struct ParameterOf {
  std::string name;
  kernels::MatrixOf<T> value;
  kernels::MatrixOf<T> grad;
};
using Parameter = ParameterOf<float>;

// Non-trainable state saved in checkpoints: batchnorm running statistics,
// named running_mean1, running_var1, ...
template <class T>
struct BufferOf {
  std::string name;
  kernels::MatrixOf<T> value;
};
using Buffer = BufferOf<float>;

class FullyConnectedNet {
 public:
  // Validates the spec (throws std::invalid_argument naming the field) and
  // initializes the parameters from spec.seed.
  explicit FullyConnectedNet(const NetSpec& spec);

  const NetSpec& spec() const;

  // One training step's forward and backward pass on a batch, in train mode
  // (batch statistics, dropout): returns the mean softmax cross-entropy loss
  // plus the L2 term, and writes every Parameter::grad. `step` keys this
  // batch's dropout masks (the Solver passes its iteration counter), so a run
  // replays exactly whatever the thread count.
  float loss_and_gradients(kernels::ConstMatrixView x, std::span<const int32_t> y, uint64_t step);

  // Inference in test mode (running statistics, no dropout): class scores, and
  // the argmax per row. Large inputs are processed in batches internally.
  void scores(kernels::ConstMatrixView x, kernels::MatrixView out);
  void predict(kernels::ConstMatrixView x, std::span<int32_t> classes);

  std::vector<Parameter>& parameters();
  const std::vector<Parameter>& parameters() const;
  std::vector<Buffer>& buffers();
  const std::vector<Buffer>& buffers() const;

  ~FullyConnectedNet();
  FullyConnectedNet(FullyConnectedNet&&) noexcept;
  FullyConnectedNet& operator=(FullyConnectedNet&&) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace simdnet::nets
