#pragma once
// fold: lets a create request do the master/up changes that follow it in the
// plan. The plan keeps every action (so it prints, verifies and undoes the
// same); the folded ones are marked in_create and cost no request of their own.
#include <netlab/plan/action.hpp>

#include <vector>

namespace netlab {

/// Marks SetMaster (to a master) and SetUp (up) actions that the CreateLink or
/// CreateNetns of the same link can apply in its own request, and sets them there.
/// A veth takes them for one end only: the one with a master, else its first.
void fold_into_creates(std::vector<Action>& actions);

} // namespace netlab
