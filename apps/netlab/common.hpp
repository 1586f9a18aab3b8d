#pragma once
// Helpers shared by the verbs: loading a file with diagnostics printed once,
// and printing plans.
#include "commands.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/check/enter.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

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

/// "+ veth ns1:vethB <-> host:vethA" and, with explain, the commands under it.
void print_action(const Action& a, bool explain);

/// Resolves NODE (through FILE when given), enters its namespace in this process
/// and exports NETLAB_NODE / NETLAB_LAB. For exec and shell, which then replace
/// the process.
Expected<NodeTarget> enter_node_for_command(const std::string& node, const std::string& file);

/// From here on SIGINT and SIGTERM ask the run to stop (request_stop) instead of
/// killing the process: up/down undo this run's changes and exit 128+signal.
void stop_on_signals();

/// For a run that a signal stopped (ApplyResult::interrupted, or a stop request
/// after it finished): prints what was undone; returns 128+signal.
int report_interrupted(const ApplyResult& r);

/// Maps an Error to its exit code after printing it.
int report(const Error& e);

} // namespace netlab::app
