#pragma once
// Exercises: a lab that starts broken. Everything here is pure: the broken
// model is an edit of the solution (`exercise_start`), so starting an exercise
// is `up` of that model, and status/up/check compare the kernel with both.
#include <netlab/plan/diff.hpp>
#include <netlab/topology/model.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace netlab {

/// The lab as `ex` starts it: `solution` with each of ex.start applied in order.
Topology exercise_start(const Topology& solution, const Exercise& ex);

/// The checks that judge `ex`: its own, else the lab's.
const std::vector<Check>& exercise_checks(const Topology& topo, const Exercise& ex);

/// "exercise 2 'no-default-route'" (number from 1; the name when it has one).
std::string exercise_title(const Exercise& ex, std::size_t number);

/// "ns1: lo down", "ns2: no route default": one start entry in words.
std::string describe(const Breakage& b);

/// A finding of `status` in exercise mode: a difference from the solution that
/// the exercise's start made on purpose is the exercise's starting point, not drift.
struct ExerciseFinding {
  Finding finding;         ///< from the diff against the solution
  bool start_point = false; ///< differs from the solution, but as the exercise starts it
};

/// Classifies the findings of the diff against the solution with those of the
/// diff against the exercise's start model (same kernel state).
std::vector<ExerciseFinding> classify_findings(const Plan& vs_solution, const Plan& vs_start);

/// What `up` does while an exercise runs: the actions of the plan towards the
/// solution that the plan towards the start also has (repairs of anything else
/// the lab lost), never one that fixes or re-breaks the exercise.
Plan keep_exercise_start(Plan vs_solution, const Plan& vs_start);

/// A difference in words a student can act on: "ns2 has no default route",
/// "ns2/vethD is down", "host does not forward IPv4 (net.ipv4.ip_forward is 0)".
std::string finding_words(const Finding& f);

} // namespace netlab
