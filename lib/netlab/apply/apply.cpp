#include <netlab/apply/apply.hpp>

#include <netlab/plan/describe.hpp>
#include <netlab/plan/inverse.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <span>

namespace netlab {

namespace {

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

/// The nodes an action works in.
std::vector<std::string> nodes_of(const Action& action) {
  return std::visit(
      [](const auto& a) {
        std::vector<std::string> out{a.ns.node};
        if constexpr (requires { a.peer_ns; })
          if (a.peer_ns) out.push_back(a.peer_ns->node);
        return out;
      },
      action);
}

/// Runs a plan, letting a stretch of independent actions run in the background
/// while the actions after it that need none of them go on.
class Runner {
public:
  Runner(Kernel& kernel, const std::vector<Action>& plan, const StepObserver& on_step)
      : m_kernel(kernel), m_plan(plan), m_on_step(on_step) {}

  ApplyResult run() {
    for (size_t i = 0; i < m_plan.size() && !m_result.failed_index;) {
      const size_t end = stretch_end(m_plan, i);
      if (end - i > 1) {
        settle_all(); // one stretch in the background at a time
        start(i, end);
      } else {
        settle_for(m_plan[i]);
        if (!m_result.failed_index) record(i, m_kernel.apply(m_plan[i]));
      }
      i = end;
    }
    settle_all(); // all of it, failed or not: what was made must be known to undo it
    m_result.done = m_done.size();
    if (m_result.failed_index) {
      m_result.undo_errors = undo();
      m_result.rolled_back = true;
    }
    return m_result;
  }

private:
  void start(size_t begin, size_t end) {
    m_started = m_kernel.start_many(std::span(m_plan).subspan(begin, end - begin));
    m_begin = m_next = begin;
    m_end = end;
    m_pending.clear();
    for (size_t k = begin; k < end; ++k)
      for (auto& node : nodes_of(m_plan[k])) m_pending[node] = std::max(m_pending[node], k);
  }

  /// Waits for the background actions, in plan order, up to the last one that
  /// works in a node `action` works in.
  void settle_for(const Action& action) {
    if (!m_started) return;
    for (const auto& node : nodes_of(action))
      if (auto it = m_pending.find(node); it != m_pending.end()) settle_through(it->second);
  }

  void settle_through(size_t k) {
    for (; m_next <= k && m_next < m_end; ++m_next) record(m_next, m_started->wait(m_next - m_begin));
  }

  void settle_all() {
    if (!m_started) return;
    settle_through(m_end - 1);
    m_started.reset();
  }

  void record(size_t i, const Expected<void>& outcome) {
    if (m_on_step) m_on_step(m_plan[i], outcome);
    if (outcome) {
      m_done.push_back(i);
    } else if (!m_result.failed_index) {
      m_result.failed_index = i;
      m_result.error = outcome.error();
    }
  }

  /// Reverts the actions done, newest first; returns what could not be reverted.
  std::vector<std::string> undo() {
    std::vector<std::string> errors;
    for (size_t k = m_done.size(); k-- > 0;)
      for (const auto& step : inverse(m_plan[m_done[k]]))
        if (auto r = m_kernel.apply(step); !r) errors.push_back(describe(step) + ": " + r.error().message);
    return errors;
  }

  Kernel& m_kernel;
  const std::vector<Action>& m_plan;
  const StepObserver& m_on_step;
  ApplyResult m_result;
  std::vector<size_t> m_done; ///< in the order they were done: what an action needs comes before it
  std::unique_ptr<Started> m_started;
  size_t m_begin = 0, m_next = 0, m_end = 0;
  std::map<std::string, size_t> m_pending; ///< node -> last background action in it
};

} // namespace

ApplyResult apply_plan(Kernel& kernel, const std::vector<Action>& plan, const StepObserver& on_step) {
  return Runner(kernel, plan, on_step).run();
}

} // namespace netlab
