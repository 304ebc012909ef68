// Batchnorm SIMD bodies, one copy per Highway target (toggle guard below).
//
// Vectors run along the feature axis: a vector holds adjacent columns and the
// rows (samples) are the reduction axis, so column sums are vectors added row
// after row. Tiles are streamed row by row, four rows per load and store of
// the per-feature partial sums (which stay in L1). Tiling, scratch and threads
// are batchnorm.cc's job; this file has the per-tile and per-feature maths.
//
// Accuracy, in float where the data is and in double where it is cheap:
// - a tile (at most 64 rows) is summed in float; its statistics are taken about
//   the tile's own provisional mean c (the "corrected two-pass" algorithm of
//   Chan, Golub and LeVeque): look 1 c = (1/n) sum x, look 2 sum (x - c) and
//   sum (x - c)^2, re-reading the tile from L2, not memory. Centering first is
//   what keeps the variance free of the cancellation of E[x^2] - E[x]^2 when
//   |mean| >> std; the float sums of n <= 64 terms carry a relative error of
//   at most (n - 1) eps (all terms of sum (x - c)^2 are >= 0).
// - tiles are combined per feature in double, in block order, with Chan's
//   pairwise update (mean and M2 = sum of squared deviations), which adds no
//   cancellation either; the per-feature results are rounded to float once.
// - the backward's sums (dbeta, dgamma) are float sums over a tile's rows too,
//   added in double in block order.
#if defined(SIMDNET_KERNELS_BATCHNORM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_BATCHNORM_INL_H_
#undef SIMDNET_KERNELS_BATCHNORM_INL_H_
#else
#define SIMDNET_KERNELS_BATCHNORM_INL_H_
#endif

#include <cstddef>

#include "hwy/highway.h"
#include "kernels/batchnorm_args.h"
#include "kernels/tail-inl.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Columns [0, lanes) of p: a full vector, or the row's last partial one.
template <bool kPartial, class D>
HWY_INLINE hn::Vec<D> LoadColumns(D d, const hn::TFromD<D>* HWY_RESTRICT p, size_t lanes) {
  if constexpr (kPartial) return LoadTail(d, p, lanes);
  return hn::LoadU(d, p);
}
template <bool kPartial, class D>
HWY_INLINE void StoreColumns(hn::Vec<D> v, D d, hn::TFromD<D>* HWY_RESTRICT p, size_t lanes) {
  if constexpr (kPartial) {
    StoreTail(v, d, p, lanes);
  } else {
    hn::StoreU(v, d, p);
  }
}

// Calls Op::template At<kPartial>(d, j, lanes, args...) for every vector of
// columns j in [0, cols): full vectors, then the partial last one.
template <class Op, class D, class... Args>
HWY_INLINE void ForEachColumnVector(D d, size_t cols, Args&&... args) {
  const size_t N = hn::Lanes(d);
  size_t j = 0;
  for (; j + N <= cols; j += N) Op::template At<false>(d, j, N, args...);
  if (j < cols) Op::template At<true>(d, j, cols - j, args...);
}

// Calls Op::template Rows<kRows>(i, args...) over the rows of a tile, four at a
// time (kRows = 4), then one at a time: per column vector, the per-feature data
// (partial sums, factors) is loaded once for four rows. Sums still add the rows
// in order: each column's sum is the sequential float sum of its rows.
template <class Op, class... Args>
HWY_INLINE void ForEachRowQuad(size_t rows, Args&&... args) {
  size_t i = 0;
  for (; i + 4 <= rows; i += 4) Op::template Rows<4>(i, args...);
  for (; i < rows; ++i) Op::template Rows<1>(i, args...);
}

HWY_INLINE void ZeroColumns(float* HWY_RESTRICT p, size_t cols) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t j = 0;
  for (; j + N <= cols; j += N) hn::StoreU(hn::Zero(d), d, p + j);
  if (j < cols) StoreTail(hn::Zero(d), d, p + j, cols - j);
}

// ---------------------------------------------------------------------------
// Training statistics of one tile: rows [0, rows) x columns [0, cols) of x.
// Per column: center c = (1/rows) sum_i x_i (float), dev_sum = sum_i (x_i - c),
// dev_sq_sum = sum_i (x_i - c)^2. The tile's mean and M2 follow exactly as
//   mean = c + dev_sum / rows,   M2 = dev_sq_sum - dev_sum^2 / rows,
// with the small correction dev_sum absorbing the rounding of c.

// sum += x over kRows rows (the sum accumulates in out.center).
struct AddRows {
  template <size_t kRows>
  static HWY_INLINE void Rows(size_t i, ConstMatrixView x, float* sum) {
    ForEachColumnVector<AddRows::Columns<kRows>>(hn::ScalableTag<float>(), x.cols, x.row(i),
                                                 x.stride, sum);
  }
  template <size_t kRows>
  struct Columns {
    template <bool kPartial, class D>
    static HWY_INLINE void At(D d, size_t j, size_t lanes, const float* HWY_RESTRICT x,
                              size_t stride, float* HWY_RESTRICT sum) {
      auto s = LoadColumns<kPartial>(d, sum + j, lanes);
      for (size_t r = 0; r < kRows; ++r) {
        s = hn::Add(s, LoadColumns<kPartial>(d, x + r * stride + j, lanes));
      }
      StoreColumns<kPartial>(s, d, sum + j, lanes);
    }
  };
};

// dev_sum += x - c, dev_sq_sum += (x - c)^2 over kRows rows.
struct AddDeviations {
  template <size_t kRows>
  static HWY_INLINE void Rows(size_t i, ConstMatrixView x, BatchnormTrainPartials out) {
    ForEachColumnVector<AddDeviations::Columns<kRows>>(hn::ScalableTag<float>(), x.cols,
                                                       x.row(i), x.stride, out);
  }
  template <size_t kRows>
  struct Columns {
    template <bool kPartial, class D>
    static HWY_INLINE void At(D d, size_t j, size_t lanes, const float* HWY_RESTRICT x,
                              size_t stride, BatchnormTrainPartials out) {
      const auto center = LoadColumns<kPartial>(d, out.center + j, lanes);
      auto dev_sum = LoadColumns<kPartial>(d, out.dev_sum + j, lanes);
      auto dev_sq_sum = LoadColumns<kPartial>(d, out.dev_sq_sum + j, lanes);
      for (size_t r = 0; r < kRows; ++r) {
        const auto dev = hn::Sub(LoadColumns<kPartial>(d, x + r * stride + j, lanes), center);
        dev_sum = hn::Add(dev_sum, dev);
        dev_sq_sum = hn::MulAdd(dev, dev, dev_sq_sum);
      }
      StoreColumns<kPartial>(dev_sum, d, out.dev_sum + j, lanes);
      StoreColumns<kPartial>(dev_sq_sum, d, out.dev_sq_sum + j, lanes);
    }
  };
};

// p *= factor, columns [0, cols).
HWY_INLINE void ScaleColumns(float* HWY_RESTRICT p, float factor, size_t cols) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto k = hn::Set(d, factor);
  size_t j = 0;
  for (; j + N <= cols; j += N) hn::StoreU(hn::Mul(hn::LoadU(d, p + j), k), d, p + j);
  if (j < cols) StoreTail(hn::Mul(LoadTail(d, p + j, cols - j), k), d, p + j, cols - j);
}

// Two looks at the tile, both streaming its rows; the second (at most 64 rows
// x 1024 columns, 256 KiB) finds it in L2.
HWY_INLINE void TileStats(ConstMatrixView x, BatchnormTrainPartials out) {
  ZeroColumns(out.center, x.cols);
  ForEachRowQuad<AddRows>(x.rows, x, out.center);
  ScaleColumns(out.center, 1.0f / static_cast<float>(x.rows), x.cols);  // c = sum / rows
  ZeroColumns(out.dev_sum, x.cols);
  ZeroColumns(out.dev_sq_sum, x.cols);
  ForEachRowQuad<AddDeviations>(x.rows, x, out);
}

// ---------------------------------------------------------------------------
// Per-feature arithmetic in double: lanes of float arrays widened to double.
template <bool kPartial, class DD>
HWY_INLINE hn::Vec<DD> LoadWidened(DD dd, const float* HWY_RESTRICT p, size_t lanes) {
  const hn::Rebind<float, DD> df;
  return hn::PromoteTo(dd, LoadColumns<kPartial>(df, p, lanes));
}
template <bool kPartial, class DD>
HWY_INLINE void StoreNarrowed(hn::Vec<DD> v, DD dd, float* HWY_RESTRICT p, size_t lanes) {
  const hn::Rebind<float, DD> df;
  StoreColumns<kPartial>(hn::DemoteTo(df, v), df, p, lanes);
}

// Combines the tiles' partials of features [j, j + lanes) in block order into
// the batch statistics, the cache, the running statistics and the coefficients
// of the normalization pass. Chan's pairwise update, merging block b (n_b rows,
// mean m_b, M2_b) into the rows before it (n, mean, M2):
//   delta = m_b - mean,   mean += delta * n_b / (n + n_b),
//   M2 += M2_b + delta^2 * n * n_b / (n + n_b),   var = M2 / N (biased).
struct CombineTrainStatsColumns {
  template <bool kPartial, class DD>
  static HWY_INLINE void At(DD dd, size_t j, size_t lanes, const BatchnormTrainCombine& a) {
    auto mean = hn::Zero(dd), m2 = hn::Zero(dd);
    double n = 0;
    for (size_t b = 0; b < a.blocks; ++b) {
      const double n_b = static_cast<double>(a.block_rows(b));
      const size_t at = b * a.partials_stride + j;
      const auto center = LoadWidened<kPartial>(dd, a.partials.center + at, lanes);
      const auto dev_sum = LoadWidened<kPartial>(dd, a.partials.dev_sum + at, lanes);
      const auto dev_sq_sum = LoadWidened<kPartial>(dd, a.partials.dev_sq_sum + at, lanes);
      // The block's mean c + dev_sum / n_b and M2 = dev_sq_sum - dev_sum^2 / n_b.
      const auto inv_n_b = hn::Set(dd, 1.0 / n_b);
      const auto block_mean = hn::MulAdd(dev_sum, inv_n_b, center);
      const auto block_m2 = hn::NegMulAdd(hn::Mul(dev_sum, dev_sum), inv_n_b, dev_sq_sum);
      const double n_total = n + n_b;
      const auto delta = hn::Sub(block_mean, mean);
      mean = hn::MulAdd(delta, hn::Set(dd, n_b / n_total), mean);
      m2 = hn::Add(m2, hn::MulAdd(hn::Mul(delta, delta), hn::Set(dd, n * n_b / n_total), block_m2));
      n = n_total;
    }
    // Rounding can leave M2 a hair below 0 for a constant column: clamp.
    const auto var = hn::Max(hn::Mul(m2, hn::Set(dd, 1.0 / n)), hn::Zero(dd));
    // inv_std = 1 / sqrt(var + eps)
    const auto inv_std = hn::Div(hn::Set(dd, 1.0), hn::Sqrt(hn::Add(var, hn::Set(dd, a.eps))));

    // The normalization pass computes out = (x - mean_f) * scale + shift with
    // mean_f = float(mean), scale = gamma * inv_std and shift = beta - mean_lo * scale,
    // where mean_lo = mean - mean_f: the float mean's rounding error is put
    // back, so out does not lose ulp(mean) * inv_std when |mean| >> std.
    const hn::Rebind<float, DD> df;
    const auto mean_f = hn::DemoteTo(df, mean);
    const auto mean_lo = hn::Sub(mean, hn::PromoteTo(dd, mean_f));
    const auto gamma = LoadWidened<kPartial>(dd, a.gamma + j, lanes);
    const auto beta = LoadWidened<kPartial>(dd, a.beta + j, lanes);
    const auto scale = hn::Mul(gamma, inv_std);
    const auto shift = hn::NegMulAdd(mean_lo, scale, beta);

    // running = momentum * running + (1 - momentum) * batch statistic
    const auto momentum = hn::Set(dd, a.momentum), keep = hn::Set(dd, 1.0 - a.momentum);
    const auto running_mean = LoadWidened<kPartial>(dd, a.running_mean + j, lanes);
    const auto running_var = LoadWidened<kPartial>(dd, a.running_var + j, lanes);
    StoreNarrowed<kPartial>(hn::MulAdd(momentum, running_mean, hn::Mul(keep, mean)), dd,
                            a.running_mean + j, lanes);
    StoreNarrowed<kPartial>(hn::MulAdd(momentum, running_var, hn::Mul(keep, var)), dd,
                            a.running_var + j, lanes);

    StoreColumns<kPartial>(mean_f, df, a.cache_mean + j, lanes);
    StoreNarrowed<kPartial>(inv_std, dd, a.cache_inv_std + j, lanes);
    StoreNarrowed<kPartial>(scale, dd, a.scale + j, lanes);
    StoreNarrowed<kPartial>(shift, dd, a.shift + j, lanes);
  }
};

HWY_INLINE void CombineTrainStats(size_t cols, const BatchnormTrainCombine& args) {
  ForEachColumnVector<CombineTrainStatsColumns>(hn::ScalableTag<double>(), cols, args);
}

// scale = gamma / sqrt(running_var + eps), in double, for inference.
struct InferenceScaleColumns {
  template <bool kPartial, class DD>
  static HWY_INLINE void At(DD dd, size_t j, size_t lanes, const float* HWY_RESTRICT gamma,
                            const float* HWY_RESTRICT running_var, double eps,
                            float* HWY_RESTRICT scale) {
    const auto var = LoadWidened<kPartial>(dd, running_var + j, lanes);
    const auto std_dev = hn::Sqrt(hn::Add(var, hn::Set(dd, eps)));
    StoreNarrowed<kPartial>(hn::Div(LoadWidened<kPartial>(dd, gamma + j, lanes), std_dev), dd,
                            scale + j, lanes);
  }
};

HWY_INLINE void InferenceScale(const float* gamma, const float* running_var, double eps,
                               size_t cols, float* scale) {
  ForEachColumnVector<InferenceScaleColumns>(hn::ScalableTag<double>(), cols, gamma, running_var,
                                             eps, scale);
}

// ---------------------------------------------------------------------------
// out = (x - mean) * scale + shift over rows [0, rows) and columns [0, cols)
// of a tile, streaming rows, four at a time per load of the per-feature
// factors. Training: mean = batch mean, shift = beta - mean_lo * scale;
// inference: mean = running_mean, shift = beta. out may alias x.
struct NormalizeRows {
  template <size_t kRows>
  static HWY_INLINE void Rows(size_t i, ConstMatrixView x, MatrixView out, const float* mean,
                              const float* scale, const float* shift) {
    ForEachColumnVector<NormalizeRows::Columns<kRows>>(hn::ScalableTag<float>(), x.cols, x.row(i),
                                                       x.stride, out.row(i), out.stride, mean,
                                                       scale, shift);
  }
  template <size_t kRows>
  struct Columns {
    template <bool kPartial, class D>
    static HWY_INLINE void At(D d, size_t j, size_t lanes, const float* x, size_t x_stride,
                              float* out, size_t out_stride, const float* HWY_RESTRICT mean,
                              const float* HWY_RESTRICT scale, const float* HWY_RESTRICT shift) {
      const auto mu = LoadColumns<kPartial>(d, mean + j, lanes);
      const auto k = LoadColumns<kPartial>(d, scale + j, lanes);
      const auto b = LoadColumns<kPartial>(d, shift + j, lanes);
      for (size_t r = 0; r < kRows; ++r) {
        const auto centered = hn::Sub(LoadColumns<kPartial>(d, x + r * x_stride + j, lanes), mu);
        StoreColumns<kPartial>(hn::MulAdd(centered, k, b), d, out + r * out_stride + j, lanes);
      }
    }
  };
};

HWY_INLINE void NormalizeTile(ConstMatrixView x, MatrixView out, const float* mean,
                              const float* scale, const float* shift) {
  ForEachRowQuad<NormalizeRows>(x.rows, x, out, mean, scale, shift);
}

// ---------------------------------------------------------------------------
// Backward partial sums of one tile, per column:
//   dout_sum = sum_i dout_i,   dout_dev_sum = sum_i dout_i * (x_i - mean)
// (dgamma = inv_std * sum of dout_dev_sum; the multiply is left to the combine).
struct AddGradRows {
  template <size_t kRows>
  static HWY_INLINE void Rows(size_t i, ConstMatrixView dout, ConstMatrixView x,
                              const float* mean, BatchnormGradPartials out) {
    ForEachColumnVector<AddGradRows::Columns<kRows>>(hn::ScalableTag<float>(), x.cols,
                                                     dout.row(i), dout.stride, x.row(i),
                                                     x.stride, mean, out);
  }
  template <size_t kRows>
  struct Columns {
    template <bool kPartial, class D>
    static HWY_INLINE void At(D d, size_t j, size_t lanes, const float* HWY_RESTRICT dout,
                              size_t dout_stride, const float* HWY_RESTRICT x, size_t x_stride,
                              const float* HWY_RESTRICT mean, BatchnormGradPartials out) {
      const auto mu = LoadColumns<kPartial>(d, mean + j, lanes);
      auto dout_sum = LoadColumns<kPartial>(d, out.dout_sum + j, lanes);
      auto dout_dev_sum = LoadColumns<kPartial>(d, out.dout_dev_sum + j, lanes);
      for (size_t r = 0; r < kRows; ++r) {
        const auto g = LoadColumns<kPartial>(d, dout + r * dout_stride + j, lanes);
        const auto dev = hn::Sub(LoadColumns<kPartial>(d, x + r * x_stride + j, lanes), mu);
        dout_sum = hn::Add(dout_sum, g);
        dout_dev_sum = hn::MulAdd(g, dev, dout_dev_sum);
      }
      StoreColumns<kPartial>(dout_sum, d, out.dout_sum + j, lanes);
      StoreColumns<kPartial>(dout_dev_sum, d, out.dout_dev_sum + j, lanes);
    }
  };
};

HWY_INLINE void TileGradSums(ConstMatrixView dout, ConstMatrixView x, const float* mean,
                             BatchnormGradPartials out) {
  ZeroColumns(out.dout_sum, x.cols);
  ZeroColumns(out.dout_dev_sum, x.cols);
  ForEachRowQuad<AddGradRows>(x.rows, dout, x, mean, out);
}

// Sums the tiles' partials of features [j, j + lanes) in block order, in
// double, into dbeta and dgamma = inv_std * sum dout * (x - mean), and the
// per-feature factors of the dx pass: scale = gamma * inv_std / N and
// slope = inv_std * dgamma (so that x_hat * dgamma = (x - mean) * slope).
struct CombineGradSumsColumns {
  template <bool kPartial, class DD>
  static HWY_INLINE void At(DD dd, size_t j, size_t lanes, const BatchnormGradCombine& a) {
    auto dbeta = hn::Zero(dd), dout_dev_sum = hn::Zero(dd);
    for (size_t b = 0; b < a.blocks; ++b) {
      const size_t at = b * a.partials_stride + j;
      dbeta = hn::Add(dbeta, LoadWidened<kPartial>(dd, a.partials.dout_sum + at, lanes));
      dout_dev_sum =
          hn::Add(dout_dev_sum, LoadWidened<kPartial>(dd, a.partials.dout_dev_sum + at, lanes));
    }
    const auto inv_std = LoadWidened<kPartial>(dd, a.inv_std + j, lanes);
    const auto dgamma = hn::Mul(dout_dev_sum, inv_std);
    const auto gamma = LoadWidened<kPartial>(dd, a.gamma + j, lanes);
    const auto inv_rows = hn::Set(dd, 1.0 / static_cast<double>(a.rows));
    StoreNarrowed<kPartial>(dbeta, dd, a.dbeta + j, lanes);
    StoreNarrowed<kPartial>(dgamma, dd, a.dgamma + j, lanes);
    StoreNarrowed<kPartial>(hn::Mul(hn::Mul(gamma, inv_std), inv_rows), dd, a.scale + j, lanes);
    StoreNarrowed<kPartial>(hn::Mul(inv_std, dgamma), dd, a.slope + j, lanes);
  }
};

HWY_INLINE void CombineGradSums(size_t cols, const BatchnormGradCombine& args) {
  ForEachColumnVector<CombineGradSumsColumns>(hn::ScalableTag<double>(), cols, args);
}

// The compact formula over a tile (rows four at a time per load of the
// per-feature factors):
//   dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
//      = scale * ((N * dout - dbeta) - (x - mean) * slope)
// In this form a batch of one row gets dx = 0 exactly (dbeta = dout, x = mean).
// dx may alias dout or x.
struct GradRows {
  template <size_t kRows>
  static HWY_INLINE void Rows(size_t i, ConstMatrixView dout, ConstMatrixView x, MatrixView dx,
                              const BatchnormGradFactors& f) {
    ForEachColumnVector<GradRows::Columns<kRows>>(hn::ScalableTag<float>(), x.cols, dout.row(i),
                                                  dout.stride, x.row(i), x.stride, dx.row(i),
                                                  dx.stride, f);
  }
  template <size_t kRows>
  struct Columns {
    template <bool kPartial, class D>
    static HWY_INLINE void At(D d, size_t j, size_t lanes, const float* dout, size_t dout_stride,
                              const float* x, size_t x_stride, float* dx, size_t dx_stride,
                              const BatchnormGradFactors& f) {
      const auto rows = hn::Set(d, f.rows);
      const auto mu = LoadColumns<kPartial>(d, f.mean + j, lanes);
      const auto dbeta = LoadColumns<kPartial>(d, f.dbeta + j, lanes);
      const auto slope = LoadColumns<kPartial>(d, f.slope + j, lanes);
      const auto scale = LoadColumns<kPartial>(d, f.scale + j, lanes);
      for (size_t r = 0; r < kRows; ++r) {
        const auto dev = hn::Sub(LoadColumns<kPartial>(d, x + r * x_stride + j, lanes), mu);
        const auto g = LoadColumns<kPartial>(d, dout + r * dout_stride + j, lanes);
        const auto sum = hn::NegMulAdd(dev, slope, hn::MulSub(rows, g, dbeta));
        StoreColumns<kPartial>(hn::Mul(sum, scale), d, dx + r * dx_stride + j, lanes);
      }
    }
  };
};

HWY_INLINE void GradTile(ConstMatrixView dout, ConstMatrixView x, MatrixView dx,
                         const BatchnormGradFactors& factors) {
  ForEachRowQuad<GradRows>(x.rows, dout, x, dx, factors);
}

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_BATCHNORM_INL_H_
