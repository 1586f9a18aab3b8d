#pragma once
// Helpers shared by the verbs: loading a file with diagnostics printed once,
// and printing plans.
#include "commands.hpp"

#include <netlab/apply/state_store.hpp>
#include <netlab/check/enter.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/plan/diff.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace netlab::app {

/// Loads and validates `path`; on failure prints every diagnostic, sets exit 2.
std::optional<Topology> load_topology(const std::string& path, Globals& g);

/// What a verb that reconciles one lab works with, the run lock held.
struct LabSession {
  Topology topo;
  RunLock lock;
  LabState memory;
  std::unique_ptr<Kernel> kernel;
};

/// Loads FILE, takes the run lock, reads the lab's memory and opens the kernel.
/// On failure prints the problem and returns nullopt with g.exit_code set.
std::optional<LabSession> open_lab(const std::string& file, Globals& g);

/// "+ veth ns1:vethB <-> host:vethA" (coloured with `paint`) and, with explain, the commands under it.
void print_action(const Action& a, bool explain, bool paint = false);

/// Prints the changes of an up/down run as they are applied: every line, or, on
/// a terminal for a plan of more than k_progress_threshold changes (without -v),
/// one updating progress line. Nothing with --json or -q.
class ChangePrinter {
public:
  ChangePrinter(const Globals& g, bool explain);
  /// Before the plan runs (reconcile's PlanObserver).
  void start(const Plan& plan);
  /// After each action (reconcile's StepObserver).
  void step(const Action& a, const Expected<void>& outcome);
  /// Clears the progress line, if one is shown, before the summary.
  void finish();

private:
  void draw();
  const Globals& m_g;
  bool m_explain;
  bool m_progress = false;
  size_t m_done = 0, m_total = 0;
  std::chrono::steady_clock::time_point m_start, m_drawn;
};

/// Resolves NODE (through FILE when given), enters its namespace in this process
/// and exports NETLAB_NODE / NETLAB_LAB. For exec and shell, which then replace
/// the process.
Expected<NodeTarget> enter_node_for_command(const std::string& node, const std::string& file);

/// Maps an Error to its exit code after printing it.
int report(const Error& e);

} // namespace netlab::app
