#include <netlab/apply/apply.hpp>

#include <netlab/plan/describe.hpp>
#include <netlab/plan/inverse.hpp>

namespace netlab {

namespace {

/// Reverts `done[0..count)` newest first; returns what could not be reverted.
std::vector<std::string> undo(Kernel& kernel, const std::vector<Action>& plan, size_t count) {
  std::vector<std::string> errors;
  for (size_t i = count; i-- > 0;) {
    for (const auto& step : inverse(plan[i])) {
      if (auto r = kernel.apply(step); !r) errors.push_back(describe(step) + ": " + r.error().message);
    }
  }
  return errors;
}

} // namespace

ApplyResult apply_plan(Kernel& kernel, const std::vector<Action>& plan, const StepObserver& on_step) {
  ApplyResult result;
  for (size_t i = 0; i < plan.size(); ++i) {
    auto r = kernel.apply(plan[i]);
    if (on_step) on_step(plan[i], r);
    if (!r) {
      result.failed_index = i;
      result.error = r.error();
      result.undo_errors = undo(kernel, plan, i);
      result.rolled_back = true;
      return result;
    }
    ++result.done;
  }
  return result;
}

} // namespace netlab
