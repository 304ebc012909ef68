// Whether a forward pass trains (batch statistics, dropout) or infers
// (running statistics, no dropout), as CS231n's bn_param/dropout_param 'mode'.
#pragma once

namespace simdnet::nets {

enum class Mode { kTrain, kTest };

}  // namespace simdnet::nets
