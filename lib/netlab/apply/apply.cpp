#include <netlab/apply/apply.hpp>

#include <netlab/plan/describe.hpp>
#include <netlab/plan/inverse.hpp>
#include <netlab/util/log.hpp>

#include <atomic>
#include <chrono>
#include <span>

namespace netlab {

namespace {

std::atomic<int> g_stop_signal{0};   ///< first signal that asked to stop
std::atomic<int> g_stop_requests{0}; ///< how many asked
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

/// -v: "apply + netns ns1: ok (0.42 ms)", or the kernel's error.
void log_step(const char* doing, const Action& a, const Expected<void>& outcome, double ms) {
  if (!log_enabled(LogLevel::debug)) return;
  std::string text = std::string(doing) + " " + describe(a) + ": " + (outcome ? "ok" : outcome.error().message);
  const auto* master = std::get_if<SetMaster>(&a);
  const auto* up = std::get_if<SetUp>(&a);
  if ((master && master->in_create) || (up && up->in_create))
    log_line(LogLevel::debug, text + " (done by the create request before it)");
  else
    log_line(LogLevel::debug, text + " (" + format_ms(ms) + ")");
}

/// Reverts the actions at `done` (indexes into `plan`) newest first, into
/// `result`. More than `stops_before` stop requests (a second Ctrl-C) end it early.
void undo(Kernel& kernel, const std::vector<Action>& plan, const std::vector<size_t>& done, ApplyResult& result,
          int stops_before) {
  result.rolled_back = true;
  for (size_t k = done.size(); k-- > 0;) {
    if (g_stop_requests.load() > stops_before) {
      result.undo_stopped = true;
      return;
    }
    for (const auto& step : inverse(plan[done[k]])) {
      auto start = std::chrono::steady_clock::now();
      auto r = kernel.apply(step);
      log_step("undo", step, r, ms_since(start));
      if (!r)
        result.undo_errors.push_back(describe(step) + ": " + r.error().message);
      else
        result.undone.push_back(describe(step));
    }
  }
}

/// Actions that never depend on one another when they follow each other in a
/// plan, so the kernel may run a stretch of them at once.
bool independent(const Action& a) { return std::holds_alternative<CreateNetns>(a); }

/// End of the stretch that starts at `i`: independent actions run together, any other alone.
size_t stretch_end(const std::vector<Action>& plan, size_t i) {
  size_t end = i + 1;
  if (independent(plan[i]))
    while (end < plan.size() && independent(plan[end])) ++end;
  return end;
}

} // namespace

void request_stop(int signal) noexcept {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, signal);
  g_stop_requests.fetch_add(1);
}
bool stop_requested() noexcept { return g_stop_requests.load() > 0; }
int stop_signal() noexcept { return g_stop_signal.load(); }
void reset_stop() noexcept {
  g_stop_requests.store(0);
  g_stop_signal.store(0);
}

ApplyResult apply_plan(Kernel& kernel, const std::vector<Action>& plan, const StepObserver& on_step) {
  ApplyResult result;
  std::vector<size_t> done;
  for (size_t i = 0; i < plan.size();) {
    const size_t end = stretch_end(plan, i);
    std::vector<Expected<void>> outcomes;
    const bool timed = log_enabled(LogLevel::debug); // no clock reads when nothing is logged
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (end - i == 1)
      outcomes.push_back(kernel.apply(plan[i]));
    else
      outcomes = kernel.apply_many(std::span(plan).subspan(i, end - i));
    const double ms = timed ? ms_since(start) : 0;
    if (outcomes.size() > 1 && timed)
      log_line(LogLevel::debug, "apply " + std::to_string(outcomes.size()) + " independent actions at once (" +
                                    format_ms(ms) + " for all)");
    for (size_t k = 0; k < outcomes.size(); ++k) {
      if (timed) log_step("apply", plan[i + k], outcomes[k], ms / static_cast<double>(outcomes.size()));
      if (on_step) on_step(plan[i + k], outcomes[k]);
      if (outcomes[k]) {
        done.push_back(i + k);
      } else if (!result.failed_index) {
        result.failed_index = i + k;
        result.error = outcomes[k].error();
      }
    }
    // Checked after each action (or stretch), the last one included: an
    // interrupted run undoes what it did, exactly as a failed one.
    const int stops = g_stop_requests.load();
    if (result.failed_index || stops > 0) {
      if (!result.failed_index) result.interrupted = g_stop_signal.load();
      result.done = done.size();
      undo(kernel, plan, done, result, 1); // the first request is the one undoing; a second stops it
      return result;
    }
    i = end;
  }
  result.done = done.size();
  return result;
}

} // namespace netlab
