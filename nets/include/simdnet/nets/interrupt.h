// SIGINT and SIGTERM as requests to stop: the handler only records the signal
// (an atomic store, async-signal-safe); training loops poll interrupted()
// after each step, finish that step, save a checkpoint and exit with
// interrupt_exit_code() (128 + signal: 130 for SIGINT, 143 for SIGTERM, as a
// shell reports a process the signal killed).
//
//   nets::install_interrupt_handlers();
//   solver.set_stop_request([] { return nets::interrupted(); });
//   ... if (outcome.interrupted) { save; return nets::interrupt_exit_code(); }
//
// A second SIGINT or SIGTERM while the first is being handled kills the
// process at once (default action): the way out when saving hangs. Every file
// is written atomically (files.h), so that loses nothing already saved.
#pragma once

namespace simdnet::nets {

// SIGINT/SIGTERM: record the first signal, return. Idempotent.
void install_interrupt_handlers();
// The recorded signal or 0 (an async-signal-safe, lock-free atomic).
int interrupt_signal();
inline bool interrupted() { return interrupt_signal() != 0; }
// 128 + the recorded signal, or 0 when none was recorded.
inline int interrupt_exit_code() { return interrupted() ? 128 + interrupt_signal() : 0; }
// "SIGINT", "SIGTERM", else "a signal" (for messages).
const char* signal_name(int signal);
// Forgets the recorded signal (tests).
void clear_interrupt();

}  // namespace simdnet::nets
