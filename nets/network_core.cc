#include "nets/network_core.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "nets/init.h"
#include "nets/layers/ops.h"
#include "simdnet/nets/streams.h"

namespace simdnet::nets {

namespace {
std::string shape(size_t rows, size_t cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}
template <class T>
void fill(kernels::MatrixViewOf<T> m, T value) {
  for (size_t i = 0; i < m.rows; ++i) std::fill_n(m.row(i), m.cols, value);
}
}  // namespace

template <class T>
Network<T>::Network(const NetSpec& spec) : spec_(spec) {
  validate_net_spec(spec_);
  // Parameters in CS231n's order: W1, b1, gamma1, beta1, W2, ..., WL, bL.
  size_t fan_in = spec_.input_dim;
  hidden_.reserve(spec_.hidden_dims.size());
  for (size_t l = 0; l < spec_.hidden_dims.size(); ++l) {
    const size_t width = spec_.hidden_dims[l];
    const std::string n = std::to_string(l + 1);
    Hidden& h = hidden_.emplace_back();
    h.W = add_parameter("W" + n, fan_in, width);
    h.b = add_parameter("b" + n, 1, width);
    weights_.push_back(h.W);
    if (spec_.batchnorm) {
      h.gamma = add_parameter("gamma" + n, 1, width);
      h.beta = add_parameter("beta" + n, 1, width);
      h.running_mean = add_buffer("running_mean" + n, width, T(0));
      h.running_var = add_buffer("running_var" + n, width, T(1));
      h.batchnorm.emplace();
    }
    if (spec_.dropout > 0.0f) h.dropout.emplace(spec_.dropout, spec_.seed);
    fan_in = width;
  }
  const std::string n = std::to_string(spec_.hidden_dims.size() + 1);
  output_W_ = add_parameter("W" + n, fan_in, spec_.num_classes);
  output_b_ = add_parameter("b" + n, 1, spec_.num_classes);
  weights_.push_back(output_W_);
  initialize();
}

template <class T>
size_t Network<T>::add_parameter(const std::string& name, size_t rows, size_t cols) {
  using Matrix = kernels::MatrixOf<T>;
  parameters_.push_back(Parameter{name, Matrix(rows, cols), Matrix(rows, cols)});
  return parameters_.size() - 1;
}

template <class T>
size_t Network<T>::add_buffer(const std::string& name, size_t cols, T initial) {
  using Matrix = kernels::MatrixOf<T>;
  buffers_.push_back(Buffer{name, Matrix(1, cols)});
  fill(buffers_.back().value.view(), initial);
  return buffers_.size() - 1;
}

template <class T>
void Network<T>::initialize() {
  // Matrices start zero-filled: b = 0, beta = 0 already.
  for (size_t index : weights_) {
    Parameter& W = parameters_[index];
    fill_normal(W.value.view(), 0.0, init_stddev(spec_, W.value.rows()), spec_.seed,
                streams::init(index));
  }
  for (Hidden& h : hidden_) {
    if (h.batchnorm) fill(parameters_[h.gamma].value.view(), T(1));
  }
}

template <class T>
void Network<T>::bind() {
  auto check = [](const std::string& name, const char* what, size_t rows, size_t cols,
                  size_t want_rows, size_t want_cols) {
    if (rows != want_rows || cols != want_cols) {
      throw std::invalid_argument("FullyConnectedNet: " + std::string(what) + " " + name +
                                  " is " + shape(rows, cols) + ", expected " +
                                  shape(want_rows, want_cols));
    }
  };
  // The spec fixes every shape; a replaced matrix must keep it.
  auto param = [&](size_t index, size_t rows, size_t cols) -> Parameter& {
    Parameter& p = parameters_[index];
    check(p.name, "parameter", p.value.rows(), p.value.cols(), rows, cols);
    check(p.name, "gradient of", p.grad.rows(), p.grad.cols(), rows, cols);
    return p;
  };
  auto buffer = [&](size_t index, size_t cols) -> View {
    Buffer& b = buffers_[index];
    check(b.name, "buffer", b.value.rows(), b.value.cols(), 1, cols);
    return b.value.view();
  };
  size_t fan_in = spec_.input_dim;
  for (size_t l = 0; l < hidden_.size(); ++l) {
    Hidden& h = hidden_[l];
    const size_t width = spec_.hidden_dims[l];
    Parameter& W = param(h.W, fan_in, width);
    Parameter& b = param(h.b, 1, width);
    h.affine.bind(W.value.view(), b.value.view(), W.grad.view(), b.grad.view());
    if (h.batchnorm) {
      Parameter& gamma = param(h.gamma, 1, width);
      Parameter& beta = param(h.beta, 1, width);
      h.batchnorm->bind(gamma.value.view(), beta.value.view(), gamma.grad.view(),
                        beta.grad.view(), buffer(h.running_mean, width),
                        buffer(h.running_var, width));
    }
    fan_in = width;
  }
  Parameter& W = param(output_W_, fan_in, spec_.num_classes);
  Parameter& b = param(output_b_, 1, spec_.num_classes);
  output_.bind(W.value.view(), b.value.view(), W.grad.view(), b.grad.view());
}

template <class T>
void Network<T>::check_input(const char* method, ConstView x, size_t labels) const {
  if (x.cols != spec_.input_dim) {
    throw std::invalid_argument(std::string("FullyConnectedNet::") + method + ": x is " +
                                shape(x.rows, x.cols) + ", expected " +
                                std::to_string(spec_.input_dim) + " columns (input_dim)");
  }
  if (labels != x.rows) {
    throw std::invalid_argument(std::string("FullyConnectedNet::") + method + ": " +
                                std::to_string(labels) + " labels/outputs for " +
                                std::to_string(x.rows) + " rows of x");
  }
}

template <class T>
auto Network<T>::forward(ConstView x, Mode mode, uint64_t step) -> ConstView {
  ConstView h = x;
  for (size_t l = 0; l < hidden_.size(); ++l) {
    Hidden& layer = hidden_[l];
    if (layer.batchnorm) {
      h = layer.relu.forward(layer.batchnorm->forward(layer.affine.forward(h), mode));
    } else {
      h = layer.affine.forward(h, /*fuse_relu=*/true);  // max(0, x·W + b) in one pass
      layer.relu.forward_fused(h);
    }
    if (layer.dropout) h = layer.dropout->forward(h, mode, streams::dropout(l + 1, step));
  }
  return output_.forward(h);
}

// Every ReLU backward is fused into the NT matmul that computes the gradient
// of that ReLU's block output (the next affine layer's dx): dx = (dout·Wᵀ) ·
// [y > 0] in the matmul's store, instead of a store and then a relu_backward
// pass reading dx and y and writing dx again. Where dropout follows the ReLU,
// the mask now comes before dropout's backward instead of after it; both are
// elementwise products and ×[y > 0] is exact (x or 0), so the order changes
// no bit.
template <class T>
void Network<T>::backward() {
  auto relu_output = [&](size_t l) { return hidden_[l].relu.output(); };
  const size_t L = hidden_.size();
  ConstView d = output_.backward(loss_.backward(), /*need_dx=*/L > 0,
                                 L > 0 ? relu_output(L - 1) : ConstView{});
  for (size_t l = L; l-- > 0;) {
    Hidden& layer = hidden_[l];
    if (layer.dropout) d = layer.dropout->backward(d);
    // The ReLU's backward is already in d (see above).
    if (layer.batchnorm) d = layer.batchnorm->backward(d);
    // Nothing needs d(loss)/d(input): the first layer skips its dx.
    d = layer.affine.backward(d, /*need_dx=*/l > 0, l > 0 ? relu_output(l - 1) : ConstView{});
  }
}

// 0.5 * l2 * sum_l sum_ij W_l[i][j]^2, accumulated in double.
template <class T>
T Network<T>::l2_penalty() const {
  if (spec_.l2 == 0.0f) return T(0);
  double sum = 0;
  for (size_t index : weights_) {
    const auto W = parameters_[index].value.view();
    for (size_t i = 0; i < W.rows; ++i) {
      for (size_t j = 0; j < W.cols; ++j) sum += double(W.at(i, j)) * double(W.at(i, j));
    }
  }
  return static_cast<T>(0.5 * double(spec_.l2) * sum);
}

// dW_l += l2 * W_l
template <class T>
void Network<T>::add_l2_gradients() {
  if (spec_.l2 == 0.0f) return;
  const T l2 = static_cast<T>(spec_.l2);
  for (size_t index : weights_) {
    Parameter& p = parameters_[index];
    const auto W = p.value.view();
    const auto dW = p.grad.view();
    for (size_t i = 0; i < W.rows; ++i) {
      for (size_t j = 0; j < W.cols; ++j) dW.at(i, j) += l2 * W.at(i, j);
    }
  }
}

template <class T>
T Network<T>::loss(ConstView x, std::span<const int32_t> y, uint64_t step) {
  check_input("loss", x, y.size());
  bind();
  return loss_.forward(forward(x, Mode::kTrain, step), y) + l2_penalty();
}

template <class T>
T Network<T>::loss_and_gradients(ConstView x, std::span<const int32_t> y, uint64_t step) {
  check_input("loss_and_gradients", x, y.size());
  bind();
  const T data_loss = loss_.forward(forward(x, Mode::kTrain, step), y);
  backward();
  add_l2_gradients();
  return data_loss + l2_penalty();
}

template <class T>
void Network<T>::scores(ConstView x, View out) {
  check_input("scores", x, out.rows);
  if (out.cols != spec_.num_classes) {
    throw std::invalid_argument("FullyConnectedNet::scores: out is " + shape(out.rows, out.cols) +
                                ", expected " + std::to_string(spec_.num_classes) +
                                " columns (num_classes)");
  }
  bind();
  for (size_t begin = 0; begin < x.rows; begin += kInferenceRows) {
    const size_t rows = std::min(kInferenceRows, x.rows - begin);
    const ConstView s = forward(x.rows_from(begin, rows), Mode::kTest, 0);
    const View o = out.rows_from(begin, rows);
    for (size_t i = 0; i < rows; ++i) std::copy_n(s.row(i), s.cols, o.row(i));
  }
}

template <class T>
void Network<T>::predict(ConstView x, std::span<int32_t> classes) {
  check_input("predict", x, classes.size());
  bind();
  for (size_t begin = 0; begin < x.rows; begin += kInferenceRows) {
    const size_t rows = std::min(kInferenceRows, x.rows - begin);
    ops::argmax_rows(forward(x.rows_from(begin, rows), Mode::kTest, 0),
                     classes.subspan(begin, rows));
  }
}

template class Network<float>;
template class Network<double>;

}  // namespace simdnet::nets
