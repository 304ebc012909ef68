// FullyConnectedNet: the public face of Network<float> (nets/network_core.h).
#include "simdnet/nets/network.h"

#include "nets/network_core.h"

namespace simdnet::nets {

struct FullyConnectedNet::Impl {
  explicit Impl(const NetSpec& spec) : net(spec) {}
  Network<float> net;
};

FullyConnectedNet::FullyConnectedNet(const NetSpec& spec) : impl_(std::make_unique<Impl>(spec)) {}
FullyConnectedNet::~FullyConnectedNet() = default;
FullyConnectedNet::FullyConnectedNet(FullyConnectedNet&&) noexcept = default;
FullyConnectedNet& FullyConnectedNet::operator=(FullyConnectedNet&&) noexcept = default;

const NetSpec& FullyConnectedNet::spec() const { return impl_->net.spec(); }

float FullyConnectedNet::loss_and_gradients(kernels::ConstMatrixView x,
                                            std::span<const int32_t> y, uint64_t step) {
  return impl_->net.loss_and_gradients(x, y, step);
}

void FullyConnectedNet::scores(kernels::ConstMatrixView x, kernels::MatrixView out) {
  impl_->net.scores(x, out);
}

void FullyConnectedNet::predict(kernels::ConstMatrixView x, std::span<int32_t> classes) {
  impl_->net.predict(x, classes);
}

std::vector<Parameter>& FullyConnectedNet::parameters() { return impl_->net.parameters(); }
const std::vector<Parameter>& FullyConnectedNet::parameters() const {
  return impl_->net.parameters();
}
std::vector<Buffer>& FullyConnectedNet::buffers() { return impl_->net.buffers(); }
const std::vector<Buffer>& FullyConnectedNet::buffers() const { return impl_->net.buffers(); }

}  // namespace simdnet::nets
