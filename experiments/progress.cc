// The epoch table and the live progress line.
#include "progress.h"

#include <cmath>

namespace simdnet::cli {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kBarWidth = 20;

}  // namespace

void format_duration(double seconds, char* buf, size_t size) {
  if (!(seconds >= 0) || !std::isfinite(seconds)) {
    std::snprintf(buf, size, "?");
  } else if (seconds < 60) {
    std::snprintf(buf, size, "%.1fs", seconds);
  } else if (seconds < 3600) {
    const long s = std::lround(seconds);
    std::snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
  } else {
    const long m = std::lround(seconds / 60);
    std::snprintf(buf, size, "%ldh%02ldm", m / 60, m % 60);
  }
}

EpochTable::EpochTable(std::FILE* out, bool live) : out_(out), live_(live) {}

void EpochTable::header() {
  std::fprintf(out_, "%5s %9s %9s %9s %9s %10s %10s\n", "epoch", "loss", "train_acc", "val_acc",
               "seconds", "samples/s", "lr");
  std::fflush(out_);
}

void EpochTable::row(const nets::EpochStats& s) {
  clear_live_line();
  char val[16];
  if (std::isnan(s.val_acc))
    std::snprintf(val, sizeof val, "-");
  else
    std::snprintf(val, sizeof val, "%.4f", s.val_acc);
  std::fprintf(out_, "%5zu %9.4f %9.4f %9s %9.2f %10.0f %10.4g\n", s.epoch, s.loss, s.train_acc,
               val, s.seconds, s.samples_per_second, static_cast<double>(s.learning_rate));
  std::fflush(out_);
}

void EpochTable::clear_live_line() {
  if (!line_shown_) return;
  std::fputs("\r\033[K", out_);  // carriage return, erase to the end of the line
  line_shown_ = false;
}

void EpochTable::on_progress(const nets::Progress& p) {
  if (p.epoch_done) {
    row(*p.epoch_done);
    return;
  }
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (p.batch != 1 && p.batch != p.batches_per_epoch && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  char bar[kBarWidth + 1];
  const size_t filled = p.batches_per_epoch ? kBarWidth * p.batch / p.batches_per_epoch : 0;
  for (size_t i = 0; i < static_cast<size_t>(kBarWidth); ++i) bar[i] = i < filled ? '#' : '.';
  bar[kBarWidth] = '\0';
  char eta[32];
  format_duration(p.eta_seconds, eta, sizeof eta);
  std::fprintf(out_, "\r\033[Kepoch %zu/%zu [%s] %zu/%zu  loss %.4f  %.0f samples/s  ETA %s",
               p.epoch, p.num_epochs, bar, p.batch, p.batches_per_epoch, p.loss,
               p.samples_per_second, eta);
  std::fflush(out_);
  line_shown_ = true;
}

}  // namespace simdnet::cli
