#include "nets/layers/batchnorm.h"

#include <span>
#include <stdexcept>
#include <utility>

#include "nets/layers/ops.h"

namespace simdnet::nets {

namespace {
// A 1 x D view as the per-feature vector the kernels take.
template <class T>
std::span<T> as_vector(kernels::MatrixViewOf<T> v) {
  return {v.data, v.cols};
}
}  // namespace

template <class T>
void BatchNorm<T>::bind(ConstView gamma, ConstView beta, View dgamma, View dbeta,
                        View running_mean, View running_var) {
  gamma_ = gamma;
  beta_ = beta;
  dgamma_ = dgamma;
  dbeta_ = dbeta;
  running_mean_ = running_mean;
  running_var_ = running_var;
}

template <class T>
auto BatchNorm<T>::forward(ConstView x, Mode mode) -> ConstView {
  View out = out_.reshape(x.rows, x.cols);
  if (mode == Mode::kTest) {
    ops::batchnorm_forward_inference(x, as_vector(gamma_), as_vector(beta_),
                                     as_vector(ConstView(running_mean_)),
                                     as_vector(ConstView(running_var_)), out);
    trained_ = false;
    return out;
  }
  mean_.reshape(1, x.cols);
  inv_std_.reshape(1, x.cols);
  ops::batchnorm_forward_train(x, as_vector(gamma_), as_vector(beta_), as_vector(running_mean_),
                               as_vector(running_var_), out, mean_.storage(),
                               inv_std_.storage());
  x_ = x;
  trained_ = true;
  return out;
}

template <class T>
auto BatchNorm<T>::backward(ConstView dout) -> ConstView {
  if (!trained_) {
    throw std::logic_error("BatchNorm::backward: the last forward was not in train mode");
  }
  View dx = dx_.reshape(dout.rows, dout.cols);
  ops::batchnorm_backward(dout, x_, as_vector(gamma_), std::as_const(mean_).storage(),
                          std::as_const(inv_std_).storage(), dx, as_vector(dgamma_),
                          as_vector(dbeta_));
  return dx;
}

template class BatchNorm<float>;
template class BatchNorm<double>;

}  // namespace simdnet::nets
