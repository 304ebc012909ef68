// SIGINT/SIGTERM recorded in one lock-free atomic (interrupt.h). The handler
// does nothing else: no allocation, no locks, no stdio (async-signal-safe).
#include "simdnet/nets/interrupt.h"

#include <signal.h>

#include <atomic>
#include <cstring>

namespace simdnet::nets {
namespace {

std::atomic<int> recorded_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free atomic");

extern "C" void record_signal(int sig) {
  int none = 0;
  if (!recorded_signal.compare_exchange_strong(none, sig)) {
    // A second signal: the default action (terminate), in case the first is
    // not being acted on. signal() and raise() are async-signal-safe.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  // Both signals blocked while either's handler runs: the compare-exchange
  // sees them one at a time. SA_RESTART: reads and writes in progress resume
  // instead of failing with EINTR.
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() { return recorded_signal.load(std::memory_order_relaxed); }

const char* signal_name(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return "a signal";
}

void clear_interrupt() { recorded_signal.store(0, std::memory_order_relaxed); }

}  // namespace simdnet::nets
