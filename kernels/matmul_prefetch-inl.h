// Software prefetch for matmul: while the micro-kernel computes k block b, it
// asks for the source lines that packing block b+1 will read, one line per
// step of k, so that packing finds them in L2 instead of waiting on L3 or
// memory for each row (the source rows are lda or ldb apart, a pattern the
// hardware prefetchers do not follow far enough ahead).
#if defined(SIMDNET_KERNELS_MATMUL_PREFETCH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SIMDNET_KERNELS_MATMUL_PREFETCH_INL_H_
#undef SIMDNET_KERNELS_MATMUL_PREFETCH_INL_H_
#else
#define SIMDNET_KERNELS_MATMUL_PREFETCH_INL_H_
#endif

#include <algorithm>
#include <cstddef>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace simdnet::kernels::HWY_NAMESPACE {

// Asks for the cache line at p to be brought into L2 (not L1: it is for a
// later phase, and L1 holds the A panel and the B stream of this one).
HWY_INLINE void PrefetchToL2(const float* p) {
#if HWY_COMPILER_GCC  // GCC and clang: locality 2 is prefetcht1 on x86
  __builtin_prefetch(p, 0, 2);
#else
  hwy::Prefetch(p);
#endif
}

// Rows of a source matrix: rows × row_floats floats, ld apart.
struct PrefetchRegion {
  const float* base = nullptr;
  size_t rows = 0, ld = 0, lines_per_row = 0;  // lines per row, covering its floats

  PrefetchRegion() = default;
  PrefetchRegion(const float* base_, size_t rows_, size_t ld_, size_t row_floats)
      : base(base_), rows(row_floats ? rows_ : 0), ld(ld_),
        lines_per_row((row_floats + 15) / 16 + 1) {}  // + 1: rows need not start a line
  size_t lines() const { return rows * lines_per_row; }
};

// A stream of cache lines: those of region 0, then those of region 1.
class PrefetchCursor {
 public:
  // Lines [first, first + count) of region 0 followed by region 1.
  PrefetchCursor(const PrefetchRegion (&regions)[2], size_t first, size_t count)
      : regions_(regions) {
    const size_t total = regions[0].lines() + regions[1].lines();
    first = std::min(first, total);
    left_ = std::min(count, total - first);
    if (first >= regions[0].lines()) {
      region_ = 1;
      first -= regions[0].lines();
    }
    if (left_ == 0) return;
    const PrefetchRegion& r = regions_[region_];
    row_ = first / r.lines_per_row;
    line_ = first % r.lines_per_row;
    row_start_ = r.base + row_ * r.ld;
  }
  size_t left() const { return left_; }
  // Prefetches the next line; only call while left() > 0.
  HWY_INLINE void Next() {
    PrefetchToL2(row_start_ + line_ * 16);
    --left_;
    const PrefetchRegion& r = regions_[region_];
    if (++line_ < r.lines_per_row) return;
    line_ = 0;
    row_start_ += r.ld;
    if (++row_ < r.rows) return;
    row_ = 0;
    region_ = 1;
    row_start_ = regions_[1].base;
  }

 private:
  const PrefetchRegion (&regions_)[2];
  size_t region_ = 0, row_ = 0, line_ = 0, left_ = 0;
  const float* row_start_ = nullptr;
};

}  // namespace simdnet::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SIMDNET_KERNELS_MATMUL_PREFETCH_INL_H_
