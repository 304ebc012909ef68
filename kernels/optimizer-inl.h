// Update-rule SIMD bodies, one copy per Highway target (toggle guard below).
// Each function updates elements [0, n) of its arrays in one pass; blocking
// and threads are optimizer.cc's job. The formulas are those of
// simdnet/kernels/optimizer.h, with the per-call scalars (1 - beta, bias
// corrections) computed once by the caller.
//
// kDecay selects the L2 term at compile time: without it g is dw itself (a
// multiply by a zero weight_decay would turn an infinite w into NaN).
#if defined(SIMDNET_KERNELS_OPTIMIZER_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_OPTIMIZER_INL_H_
#undef SIMDNET_KERNELS_OPTIMIZER_INL_H_
#else
#define SIMDNET_KERNELS_OPTIMIZER_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The vector at element i of ForEachVector: all lanes, or the first `count`
// of the last vector (loads and stores touch nothing past the arrays' end).
template <class D>
struct Part {
  D d;
  size_t count;  // lanes in use: Lanes(d), or fewer for the last vector
  HWY_INLINE hn::Vec<D> Load(const float* p) const {
    return count == hn::Lanes(d) ? hn::LoadU(d, p) : LoadTail(d, p, count);
  }
  HWY_INLINE void Store(hn::Vec<D> v, float* p) const {
    if (count == hn::Lanes(d)) {
      hn::StoreU(v, d, p);
    } else {
      StoreTail(v, d, p, count);
    }
  }
};

// Calls step(i, part) for i = 0, N, 2N, ... < n.
template <class Step>
HWY_INLINE void ForEachVector(size_t n, Step step) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) step(i, Part<decltype(d)>{d, N});
  if (i < n) step(i, Part<decltype(d)>{d, n - i});
}

// g = dw + weight_decay * w
template <bool kDecay, class V>
HWY_INLINE V Gradient(V dw, V w, V weight_decay) {
  if constexpr (kDecay) {
    return hn::MulAdd(weight_decay, w, dw);
  } else {
    return dw;
  }
}

// w -= lr * g
template <bool kDecay>
HWY_INLINE void SgdBlock(float* HWY_RESTRICT w, const float* HWY_RESTRICT dw, size_t n, float lr,
                         float weight_decay) {
  const hn::ScalableTag<float> d;
  const auto vlr = hn::Set(d, lr), vwd = hn::Set(d, weight_decay);
  ForEachVector(n, [&](size_t i, auto s) {
    const auto wi = s.Load(w + i);
    const auto g = Gradient<kDecay>(s.Load(dw + i), wi, vwd);
    s.Store(hn::NegMulAdd(vlr, g, wi), w + i);
  });
}

// v = mu * v - lr * g;  w += v
template <bool kDecay>
HWY_INLINE void MomentumBlock(float* HWY_RESTRICT w, const float* HWY_RESTRICT dw,
                              float* HWY_RESTRICT velocity, size_t n, float lr, float mu,
                              float weight_decay) {
  const hn::ScalableTag<float> d;
  const auto vlr = hn::Set(d, lr), vmu = hn::Set(d, mu), vwd = hn::Set(d, weight_decay);
  ForEachVector(n, [&](size_t i, auto s) {
    const auto wi = s.Load(w + i);
    const auto g = Gradient<kDecay>(s.Load(dw + i), wi, vwd);
    const auto v = hn::NegMulAdd(vlr, g, hn::Mul(vmu, s.Load(velocity + i)));
    s.Store(v, velocity + i);
    s.Store(hn::Add(wi, v), w + i);
  });
}

// v_prev = v;  v = mu * v - lr * g;  w += -mu * v_prev + (1 + mu) * v
template <bool kDecay>
HWY_INLINE void NesterovBlock(float* HWY_RESTRICT w, const float* HWY_RESTRICT dw,
                              float* HWY_RESTRICT velocity, size_t n, float lr, float mu,
                              float weight_decay) {
  const hn::ScalableTag<float> d;
  const auto vlr = hn::Set(d, lr), vmu = hn::Set(d, mu), vwd = hn::Set(d, weight_decay);
  const auto one_plus_mu = hn::Set(d, 1.0f + mu);
  ForEachVector(n, [&](size_t i, auto s) {
    const auto wi = s.Load(w + i);
    const auto g = Gradient<kDecay>(s.Load(dw + i), wi, vwd);
    const auto v_prev = s.Load(velocity + i);
    const auto v = hn::NegMulAdd(vlr, g, hn::Mul(vmu, v_prev));
    s.Store(v, velocity + i);
    s.Store(hn::MulAdd(one_plus_mu, v, hn::NegMulAdd(vmu, v_prev, wi)), w + i);
  });
}

// cache = decay * cache + (1 - decay) * g^2;  w -= lr * g / (sqrt(cache) + eps)
template <bool kDecay>
HWY_INLINE void RmspropBlock(float* HWY_RESTRICT w, const float* HWY_RESTRICT dw,
                             float* HWY_RESTRICT cache, size_t n, float lr, float decay,
                             float one_minus_decay, float eps, float weight_decay) {
  const hn::ScalableTag<float> d;
  const auto vlr = hn::Set(d, lr), vdecay = hn::Set(d, decay), vwd = hn::Set(d, weight_decay);
  const auto vrest = hn::Set(d, one_minus_decay), veps = hn::Set(d, eps);
  ForEachVector(n, [&](size_t i, auto s) {
    const auto wi = s.Load(w + i);
    const auto g = Gradient<kDecay>(s.Load(dw + i), wi, vwd);
    const auto c = hn::MulAdd(vdecay, s.Load(cache + i), hn::Mul(vrest, hn::Mul(g, g)));
    s.Store(c, cache + i);
    const auto step = hn::Div(hn::Mul(vlr, g), hn::Add(hn::Sqrt(c), veps));
    s.Store(hn::Sub(wi, step), w + i);
  });
}

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
// w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
template <bool kDecay>
HWY_INLINE void AdamBlock(float* HWY_RESTRICT w, const float* HWY_RESTRICT dw,
                          float* HWY_RESTRICT m, float* HWY_RESTRICT v, size_t n, float lr,
                          float b1, float one_minus_b1, float b2, float one_minus_b2,
                          float inv_correction1, float inv_correction2, float eps,
                          float weight_decay) {
  const hn::ScalableTag<float> d;
  const auto vlr = hn::Set(d, lr), vwd = hn::Set(d, weight_decay), veps = hn::Set(d, eps);
  const auto vb1 = hn::Set(d, b1), vrest1 = hn::Set(d, one_minus_b1);
  const auto vb2 = hn::Set(d, b2), vrest2 = hn::Set(d, one_minus_b2);
  const auto vinv1 = hn::Set(d, inv_correction1), vinv2 = hn::Set(d, inv_correction2);
  ForEachVector(n, [&](size_t i, auto s) {
    const auto wi = s.Load(w + i);
    const auto g = Gradient<kDecay>(s.Load(dw + i), wi, vwd);
    const auto mi = hn::MulAdd(vb1, s.Load(m + i), hn::Mul(vrest1, g));
    const auto vi = hn::MulAdd(vb2, s.Load(v + i), hn::Mul(vrest2, hn::Mul(g, g)));
    s.Store(mi, m + i);
    s.Store(vi, v + i);
    const auto m_hat = hn::Mul(mi, vinv1), v_hat = hn::Mul(vi, vinv2);
    const auto step = hn::Div(hn::Mul(vlr, m_hat), hn::Add(hn::Sqrt(v_hat), veps));
    s.Store(hn::Sub(wi, step), w + i);
  });
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_OPTIMIZER_INL_H_
