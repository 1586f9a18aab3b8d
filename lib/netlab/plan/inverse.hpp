#pragma once
// Undo: the actions that put back what one action changed. Used by apply to
// roll a failed run back to the state before it.
#include <netlab/plan/action.hpp>

#include <vector>

namespace netlab {

/// Actions that revert `a`, in execution order. Empty when `a` cannot be
/// reverted (DeleteNetns: its contents are gone; plans run those last).
std::vector<Action> inverse(const Action& a);

} // namespace netlab
