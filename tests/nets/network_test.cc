// FullyConnectedNet: spec validation, initialization, parameter names, the
// inference paths, reproducibility (same seed => byte-identical weights with
// 1 and 2 threads) and the no-allocation steady state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>
#include <tuple>
#include <vector>

#include "nets/init.h"
#include "simdnet/kernels/optimizer.h"
#include "simdnet/kernels/parallel.h"
#include "simdnet/kernels/philox.h"
#include "simdnet/nets/network.h"
#include "simdnet/nets/streams.h"
#include "support/errors.h"

namespace simdnet::nets {
namespace {

using test::error_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NetSpec valid_spec() {
  NetSpec spec;
  spec.input_dim = 20;
  spec.hidden_dims = {16, 8};
  spec.num_classes = 5;
  return spec;
}

// Synthetic examples from a Philox stream of the "other" domain.
struct Examples {
  kernels::Matrix x;
  std::vector<int32_t> y;
};
Examples synthetic(size_t rows, size_t cols, size_t classes, uint64_t id) {
  Examples e{kernels::Matrix(rows, cols), {}};
  fill_normal(e.x.view(), 0.0, 1.0, 99, streams::other(id));
  for (size_t i = 0; i < rows; ++i) {
    e.y.push_back(int32_t(kernels::philox::random_bits(99, streams::other(id + 1), i) % classes));
  }
  return e;
}

std::string validation_error(const NetSpec& spec) {
  return error_of<std::invalid_argument>([&] { FullyConnectedNet net(spec); });
}

TEST(NetSpecValidation, NamesTheField) {
  NetSpec s = valid_spec();
  s.input_dim = 0;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.input_dim = 0"));
  s = valid_spec();
  s.hidden_dims = {};
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.hidden_dims = []"));
  s.hidden_dims = {16, 0, 4};
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.hidden_dims[1] = 0"));
  s = valid_spec();
  s.dropout = 1.0f;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.dropout = 1: the drop probability p"));
  s.dropout = -0.5f;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.dropout = -0.5"));
  s.dropout = std::nanf("");
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.dropout = nan"));
  s = valid_spec();
  s.num_classes = 1;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.num_classes = 1"));
  s = valid_spec();
  s.l2 = -1e-3f;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.l2 = -0.001"));
  s = valid_spec();
  s.init = Init::kWeightScale;
  s.weight_scale = 0.0f;
  EXPECT_THAT(validation_error(s), HasSubstr("NetSpec.weight_scale = 0"));
  s.init = Init::kHe;  // weight_scale is unused then
  EXPECT_NO_THROW(FullyConnectedNet net(s));
  s = valid_spec();
  s.hidden_dims.assign(256, 4);
  EXPECT_THAT(validation_error(s), HasSubstr("at most 255 hidden layers"));
  EXPECT_NO_THROW(validate_net_spec(valid_spec()));
}

TEST(FullyConnectedNet, ParametersAreNamedLikeCs231n) {
  NetSpec spec = valid_spec();
  spec.batchnorm = true;
  FullyConnectedNet net(spec);
  std::vector<std::string> names, shapes;
  for (const Parameter& p : net.parameters()) {
    names.push_back(p.name);
    shapes.push_back(std::to_string(p.value.rows()) + "x" + std::to_string(p.value.cols()));
    EXPECT_EQ(p.grad.rows(), p.value.rows());
    EXPECT_EQ(p.grad.cols(), p.value.cols());
  }
  EXPECT_THAT(names, ElementsAre("W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2",
                                 "W3", "b3"));
  EXPECT_THAT(shapes, ElementsAre("20x16", "1x16", "1x16", "1x16", "16x8", "1x8", "1x8", "1x8",
                                  "8x5", "1x5"));
  std::vector<std::string> buffers;
  for (const Buffer& b : net.buffers()) buffers.push_back(b.name);
  EXPECT_THAT(buffers, ElementsAre("running_mean1", "running_var1", "running_mean2",
                                   "running_var2"));
  EXPECT_TRUE(FullyConnectedNet(valid_spec()).buffers().empty());
}

// z ~ N(0, 1) from Philox: the generator's moments, and fill_normal is the
// stream standard_normal defines.
TEST(Initialization, PhiloxNormalsHaveStandardMoments) {
  const size_t n = 200000;
  kernels::Matrix z(400, 500);
  fill_normal(z.view(), 0.0, 1.0, 5, 17);
  double sum = 0, sum_sq = 0;
  size_t within_one = 0;
  for (float v : z.storage()) {
    sum += v;
    sum_sq += double(v) * v;
    within_one += std::fabs(v) < 1.0f;
  }
  // Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032,
  // P(|z| < 1) = 0.6827 with sqrt(p(1-p)/n) = 0.001; bounds are 5 of them.
  EXPECT_NEAR(sum / n, 0.0, 0.011);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.016);
  EXPECT_NEAR(double(within_one) / n, std::erf(1 / std::numbers::sqrt2), 0.005);
  for (size_t e : {0u, 1u, 2u, 3u, 4u, 499u, 500u, 199999u}) {
    EXPECT_EQ(z.at(e / 500, e % 500), float(standard_normal(5, 17, e))) << e;
  }
}

TEST(Initialization, FollowsTheSpec) {
  NetSpec spec;
  spec.input_dim = 784;
  spec.hidden_dims = {512};
  spec.batchnorm = true;
  auto stddev_of = [](const kernels::Matrix& w) {
    double sum = 0, sum_sq = 0;
    for (float v : w.storage()) {
      sum += v;
      sum_sq += double(v) * v;
    }
    const double n = double(w.storage().size());
    return std::sqrt(sum_sq / n - (sum / n) * (sum / n));
  };
  // 401408 samples in W1: the sample std is within 0.5% of the true one
  // (standard error 1/sqrt(2n) = 0.11%); W2 (5120 samples) within 5%.
  for (const auto& [init, want1, want2] :
       {std::tuple{Init::kHe, std::sqrt(2.0 / 784), std::sqrt(2.0 / 512)},
        std::tuple{Init::kXavier, std::sqrt(1.0 / 784), std::sqrt(1.0 / 512)},
        std::tuple{Init::kWeightScale, 1e-2, 1e-2}}) {
    spec.init = init;
    FullyConnectedNet net(spec);
    const auto& p = net.parameters();
    EXPECT_NEAR(stddev_of(p[0].value), want1, 0.005 * want1);
    EXPECT_NEAR(stddev_of(p[4].value), want2, 0.05 * want2);
    EXPECT_THAT(p[1].value.storage(), ::testing::Each(0.0f));  // b1
    EXPECT_THAT(p[2].value.storage(), ::testing::Each(1.0f));  // gamma1
    EXPECT_THAT(p[3].value.storage(), ::testing::Each(0.0f));  // beta1
    EXPECT_THAT(p[5].value.storage(), ::testing::Each(0.0f));  // b2
    EXPECT_THAT(net.buffers()[0].value.storage(), ::testing::Each(0.0f));  // running_mean1
    EXPECT_THAT(net.buffers()[1].value.storage(), ::testing::Each(1.0f));  // running_var1
  }
}

TEST(Initialization, TheSeedDecides) {
  NetSpec spec = valid_spec();
  const FullyConnectedNet a(spec), b(spec);
  spec.seed = 1;
  const FullyConnectedNet c(spec);
  const auto& w_a = a.parameters()[0].value.storage();
  EXPECT_EQ(0, std::memcmp(w_a.data(), b.parameters()[0].value.storage().data(), w_a.size_bytes()));
  EXPECT_NE(0, std::memcmp(w_a.data(), c.parameters()[0].value.storage().data(), w_a.size_bytes()));
  // Layers draw from different streams: W2 is not a prefix of W1's numbers.
  EXPECT_NE(a.parameters()[0].value.at(0, 0) / std::sqrt(2.0f / 20),
            a.parameters()[2].value.at(0, 0) / std::sqrt(2.0f / 16));
}

// CS231n's sanity checks: with tiny weights the scores are ~0, so the loss is
// log(C); L2 adds exactly 0.5 * l2 * sum W^2 and l2 * W to the gradients.
TEST(FullyConnectedNet, InitialLossAndL2Term) {
  NetSpec spec = valid_spec();
  spec.init = Init::kWeightScale;
  spec.weight_scale = 1e-3f;
  const Examples data = synthetic(32, 20, 5, 1);
  FullyConnectedNet plain(spec);
  const float loss = plain.loss_and_gradients(data.x.view(), data.y, 0);
  EXPECT_NEAR(loss, std::log(5.0f), 1e-3f);
  std::vector<std::vector<float>> grads;
  for (const Parameter& p : plain.parameters()) grads.emplace_back(p.grad.storage().begin(), p.grad.storage().end());

  spec.l2 = 2.0f;
  FullyConnectedNet reg(spec);
  const float loss_reg = reg.loss_and_gradients(data.x.view(), data.y, 0);
  double sum_sq = 0;
  for (const Parameter& p : reg.parameters()) {
    if (p.name[0] != 'W') continue;
    for (float w : p.value.storage()) sum_sq += double(w) * w;
  }
  EXPECT_NEAR(loss_reg - loss, 0.5 * 2.0 * sum_sq, 1e-6);
  for (size_t k = 0; k < reg.parameters().size(); ++k) {
    const Parameter& p = reg.parameters()[k];
    for (size_t e = 0; e < grads[k].size(); ++e) {
      const float want = grads[k][e] + (p.name[0] == 'W' ? 2.0f * p.value.storage()[e] : 0.0f);
      EXPECT_NEAR(p.grad.storage()[e], want, 1e-6f) << p.name << "[" << e << "]";
    }
  }
}

TEST(FullyConnectedNet, ScoresAndPredictAgreeAcrossInferenceChunks) {
  NetSpec spec = valid_spec();
  spec.batchnorm = true;
  spec.dropout = 0.5f;
  FullyConnectedNet net(spec);
  const Examples train = synthetic(64, 20, 5, 3);
  for (uint64_t step = 0; step < 3; ++step) net.loss_and_gradients(train.x.view(), train.y, step);

  // 600 rows: three inference chunks of up to 256 rows.
  const Examples data = synthetic(600, 20, 5, 5);
  kernels::Matrix scores(600, 5), again(600, 5);
  net.scores(data.x.view(), scores.view());
  net.scores(data.x.view(), again.view());
  EXPECT_EQ(0, std::memcmp(scores.data(), again.data(), 600 * 5 * sizeof(float)))
      << "test mode is deterministic (no dropout, running statistics)";
  std::vector<int32_t> classes(600);
  net.predict(data.x.view(), classes);
  for (size_t i = 0; i < 600; ++i) {
    const float* row = scores.data() + i * 5;
    EXPECT_EQ(classes[i], std::max_element(row, row + 5) - row) << i;
  }
  // Row 300 alone gives the row-300 scores of the chunked pass.
  kernels::Matrix one(1, 5);
  net.scores(data.x.view().rows_from(300, 1), one.view());
  for (size_t j = 0; j < 5; ++j) EXPECT_NEAR(one.at(0, j), scores.at(300, j), 1e-5f);
}

TEST(FullyConnectedNet, DropoutIsTheIdentityAtTestTime) {
  NetSpec spec = valid_spec();
  FullyConnectedNet without(spec);
  spec.dropout = 0.4f;
  FullyConnectedNet with(spec);  // same seed, same parameter streams: same weights
  const Examples data = synthetic(10, 20, 5, 7);
  kernels::Matrix a(10, 5), b(10, 5);
  without.scores(data.x.view(), a.view());
  with.scores(data.x.view(), b.view());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * 50));
  // ...but not at training time.
  EXPECT_NE(without.loss_and_gradients(data.x.view(), data.y, 0),
            with.loss_and_gradients(data.x.view(), data.y, 0));
}

TEST(FullyConnectedNet, RejectsBadShapes) {
  FullyConnectedNet net(valid_spec());
  const Examples data = synthetic(4, 20, 5, 9);
  kernels::Matrix wide(4, 21), out(4, 5), narrow_out(4, 4);
  std::vector<int32_t> three(3);
  const auto message = error_of<std::invalid_argument>;
  EXPECT_THAT(message([&] { net.loss_and_gradients(wide.view(), data.y, 0); }),
              HasSubstr("x is 4x21, expected 20 columns (input_dim)"));
  EXPECT_THAT(message([&] { net.loss_and_gradients(data.x.view(), three, 0); }),
              HasSubstr("3 labels/outputs for 4 rows"));
  EXPECT_THAT(message([&] { net.scores(data.x.view(), narrow_out.view()); }),
              HasSubstr("expected 5 columns (num_classes)"));
  std::vector<int32_t> bad_label = data.y;
  bad_label[2] = 5;
  EXPECT_THROW(net.loss_and_gradients(data.x.view(), bad_label, 0), std::invalid_argument);
  // A replaced parameter must keep its shape (a checkpoint load may replace them).
  net.parameters()[2].value = kernels::Matrix(3, 3);
  EXPECT_THAT(message([&] { net.scores(data.x.view(), out.view()); }),
              HasSubstr("parameter W2 is 3x3, expected 16x8"));
}

TEST(FullyConnectedNet, ReplacedParametersAreUsed) {
  FullyConnectedNet net(valid_spec());
  const Examples data = synthetic(4, 20, 5, 11);
  kernels::Matrix before(4, 5), after(4, 5);
  net.scores(data.x.view(), before.view());
  net.parameters()[5].value = kernels::Matrix(1, 5);  // b3, newly allocated: zeros
  net.parameters()[5].value.at(0, 2) = 100.0f;
  net.scores(data.x.view(), after.view());
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(after.at(i, 2), before.at(i, 2) + 100.0f, 1e-3f);
  std::vector<int32_t> classes(4);
  net.predict(data.x.view(), classes);
  EXPECT_THAT(classes, ::testing::Each(2));
}

// SGD steps with batchnorm, dropout and L2 on shapes that the kernels cut into
// many blocks; returns every parameter and buffer byte.
std::vector<float> train_and_dump(int threads) {
  kernels::set_thread_count(threads);
  NetSpec spec;
  spec.input_dim = 300;
  spec.hidden_dims = {256, 128};
  spec.batchnorm = true;
  spec.dropout = 0.3f;
  spec.l2 = 1e-3f;
  spec.seed = 123;
  FullyConnectedNet net(spec);
  const Examples data = synthetic(512, 300, 10, 13);
  for (uint64_t step = 0; step < 8; ++step) {
    const size_t begin = (step % 2) * 256;
    std::span<const int32_t> y(data.y.data() + begin, 256);
    net.loss_and_gradients(data.x.view().rows_from(begin, 256), y, step);
    for (Parameter& p : net.parameters()) {
      kernels::sgd_update(p.value.storage(), p.grad.storage(), {.learning_rate = 0.05f});
    }
  }
  std::vector<float> dump;
  for (const Parameter& p : net.parameters()) {
    dump.insert(dump.end(), p.value.storage().begin(), p.value.storage().end());
  }
  for (const Buffer& b : net.buffers()) {
    dump.insert(dump.end(), b.value.storage().begin(), b.value.storage().end());
  }
  kernels::Matrix scores(512, 10);
  net.scores(data.x.view(), scores.view());
  dump.insert(dump.end(), scores.storage().begin(), scores.storage().end());
  return dump;
}

TEST(FullyConnectedNet, SameSeedGivesByteIdenticalWeightsWithOneAndTwoThreads) {
  const int before = kernels::thread_count();
  const std::vector<float> one = train_and_dump(1);
  const std::vector<float> two = train_and_dump(2);
  kernels::set_thread_count(before);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)));
  // ...and training moved them (the comparison is not of two initial states).
  FullyConnectedNet fresh([] {
    NetSpec s;
    s.input_dim = 300;
    s.hidden_dims = {256, 128};
    s.batchnorm = true;
    s.seed = 123;
    return s;
  }());
  EXPECT_NE(fresh.parameters()[0].value.at(0, 0), one[0]);
}

TEST(FullyConnectedNet, SteadyStateTrainingStepsDoNotAllocate) {
  NetSpec spec = valid_spec();
  spec.batchnorm = true;
  spec.dropout = 0.2f;
  spec.l2 = 1e-3f;
  FullyConnectedNet net(spec);
  const Examples data = synthetic(300, 20, 5, 15);
  auto step = [&](size_t rows, uint64_t s) {
    net.loss_and_gradients(data.x.view().rows_from(0, rows),
                           std::span<const int32_t>(data.y.data(), rows), s);
  };
  step(64, 0);
  const size_t after_first = kernels::MatrixOf<float>::allocations();
  for (uint64_t s = 1; s < 5; ++s) step(64, s);
  step(32, 5);  // a smaller last batch fits in the same storage
  EXPECT_EQ(kernels::MatrixOf<float>::allocations(), after_first);
  std::vector<int32_t> classes(300);
  net.predict(data.x.view(), classes);  // inference chunks of 256 rows grow it once
  const size_t after_predict = kernels::MatrixOf<float>::allocations();
  net.predict(data.x.view(), classes);
  step(64, 6);
  EXPECT_EQ(kernels::MatrixOf<float>::allocations(), after_predict);
}

TEST(FullyConnectedNet, Moves) {
  FullyConnectedNet a(valid_spec());
  const float w = a.parameters()[0].value.at(0, 0);
  FullyConnectedNet b(std::move(a));
  EXPECT_EQ(b.parameters()[0].value.at(0, 0), w);
  EXPECT_EQ(b.spec().hidden_dims, (std::vector<size_t>{16, 8}));
}

}  // namespace
}  // namespace simdnet::nets
