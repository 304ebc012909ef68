// Softmax cross-entropy over class scores (N, C) with integer labels: the
// training loss and its gradient fused into one pass per row, plus the
// inference pieces (probabilities, predicted class).
#pragma once

#include <cstdint>
#include <span>

#include "simdnet/kernels/matrix.h"

namespace simdnet::kernels {

// Fused forward + backward, numerically stable (the row max is subtracted
// before exp, so no exp overflows):
//   m_i = max_j s[i][j],  Z_i = sum_j exp(s[i][j] - m_i),  p[i][j] = exp(s[i][j] - m_i) / Z_i
//   loss = -(1/N) sum_i log p[i][y_i] = (1/N) sum_i (log Z_i - (s[i][y_i] - m_i))
//   dscores[i][j] = (p[i][j] - [j == y_i]) / N
// Returns the mean loss, bit-identical for any thread count. dscores may alias
// scores. Throws std::invalid_argument if N or C is 0, if labels.size() != N,
// or if a label is outside [0, C) (the message names the row and the label).
float softmax_cross_entropy(ConstMatrixView scores, std::span<const int32_t> labels,
                            MatrixView dscores);
// probs[i][j] = p[i][j] as above (inference). probs may alias scores.
void softmax(ConstMatrixView scores, MatrixView probs);
// classes[i] = the first j with s[i][j] = max_j s[i][j] (inference); scores
// must not hold NaN. Throws std::invalid_argument if C is 0 and N is not.
void argmax_rows(ConstMatrixView scores, std::span<int32_t> classes);

// Scalar references: the same signatures (in double inside), plus double
// overloads of the math for gradient checks.
namespace reference {
float softmax_cross_entropy(ConstMatrixView scores, std::span<const int32_t> labels,
                            MatrixView dscores);
void softmax(ConstMatrixView scores, MatrixView probs);
void argmax_rows(ConstMatrixView scores, std::span<int32_t> classes);
double softmax_cross_entropy(ConstMatrixViewD scores, std::span<const int32_t> labels,
                             MatrixViewD dscores);
void softmax(ConstMatrixViewD scores, MatrixViewD probs);
}  // namespace reference

}  // namespace simdnet::kernels
