#pragma once
// apply: the only stage that writes. Runs a plan action by action; on the first
// failure it undoes every completed action (newest first) so the kernel is left
// as it was before the run.
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/action.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// What happened when a plan ran.
struct ApplyResult {
  size_t done = 0;                      ///< actions that completed (before any undo)
  std::optional<size_t> failed_index;   ///< the action that failed
  std::optional<Error> error;           ///< its error (object named, errno text)
  bool rolled_back = false;             ///< undo ran (after a failure or an interruption)
  std::vector<std::string> undo_errors; ///< undo steps that failed too (kernel may differ)
  int interrupted = 0;                  ///< the signal that stopped the run (its completed actions undone), 0 none
  bool undo_stopped = false;            ///< a second signal stopped the undo: the lab is left half-way
  std::vector<std::string> undone;      ///< what the undo did, in order (describe() of each step)
  bool ok() const { return !error && !interrupted; }
};

/// Asks runs to stop (from a SIGINT/SIGTERM handler; async-signal-safe): the
/// first request stops apply_plan after its current action and undoes what it
/// did; a second one stops that undo.
void request_stop(int signal) noexcept;
/// Whether a stop was requested.
bool stop_requested() noexcept;
/// The signal of the first request, 0 if none.
int stop_signal() noexcept;
/// Forgets requests (tests).
void reset_stop() noexcept;

/// Called after each action with its outcome, so the app can print as it goes.
using StepObserver = std::function<void(const Action&, const Expected<void>&)>;

/// Runs `plan` against `kernel`, undoing everything on failure.
ApplyResult apply_plan(Kernel& kernel, const std::vector<Action>& plan, const StepObserver& on_step = {});

} // namespace netlab
