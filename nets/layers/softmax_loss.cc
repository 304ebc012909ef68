#include "nets/layers/softmax_loss.h"

#include "nets/layers/ops.h"

namespace simdnet::nets {

template <class T>
T SoftmaxCrossEntropy<T>::forward(ConstView scores, std::span<const int32_t> labels) {
  View dscores = dscores_.reshape(scores.rows, scores.cols);
  return ops::softmax_cross_entropy(scores, labels, dscores);
}

template class SoftmaxCrossEntropy<float>;
template class SoftmaxCrossEntropy<double>;

}  // namespace simdnet::nets
