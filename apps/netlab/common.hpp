#pragma once
// Helpers shared by the verbs: loading a file with diagnostics printed once,
// and printing plans.
#include "commands.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/check/enter.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/plan/diff.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netlab::app {

/// Loads and validates `path`, then makes its instance g.instance (when set); on
/// failure prints every diagnostic, sets exit 2.
std::optional<Topology> load_topology(const std::string& path, Globals& g);

/// For a verb with --host: the part of `topo` machine g.host converges (the only
/// machine's when the file names one); without --host a file of several machines
/// is refused (exit 2). Other verbs get `topo` as it is.
std::optional<Topology> machine_part(Topology topo, Globals& g);

/// What a verb that reconciles one lab works with, its locks held.
struct LabSession {
  Topology topo;
  RunLock lock;                  ///< the lab's lock
  std::optional<RunLock> global; ///< the global lock, for verbs that change the kernel
  LabState memory;
  std::unique_ptr<Kernel> kernel;
};

/// Whether a verb changes the kernel (up, down) or only reads it (plan).
enum class LabAccess { change, read };

/// Loads FILE, takes the lab lock (and for `change` the global lock), reads the
/// lab's memory, refuses another namespace than the lab's host, opens the kernel.
/// On failure prints the problem and returns nullopt with g.exit_code set.
std::optional<LabSession> open_lab(const std::string& file, Globals& g, LabAccess access = LabAccess::change);

/// Adds --wait SECONDS and --no-wait (lock waiting) to a verb that takes a lock.
void add_lock_flags(CLI::App* cmd, Globals& g);
/// Adds -i/--instance NAME to a verb that reads a topology file.
void add_instance_flag(CLI::App* cmd, Globals& g);
/// Adds --host NAME to a verb that converges or reports one machine's part of a lab.
void add_host_flag(CLI::App* cmd, Globals& g);

/// For a verb given -l LAB: the instance is LAB's part after '@' (g.instance);
/// -i with -l is a usage error, since the lab name says it.
Expected<void> instance_from_lab(const std::string& lab, Globals& g);

/// Adds --host-netns to a verb that works on a lab.
void add_host_netns_flag(CLI::App* cmd, Globals& g);

/// How long g's flags say to wait for a lock; waiting is announced on stderr after 1 s.
LockWait lock_wait(const Globals& g);

/// Takes the lab's lock and, for `change`, the global lock (in that order, always).
Expected<std::pair<RunLock, std::optional<RunLock>>> lock_lab(const std::string& lab, LabAccess access,
                                                              const Globals& g);

/// Refuses (exit 1) to work on a lab from inside one of its nodes (NETLAB_NODE set by
/// `netlab shell`/`exec`) or from another namespace than the one its `up` ran in,
/// unless --host-netns.
Expected<void> check_host_netns(const LabState& memory, const Globals& g);

/// Refuses (exit 2) a -l LAB that is not a lab name.
Expected<void> check_lab_name(const std::string& lab);

/// The file `-l LAB` stands for (status, graph --serve): the copy kept in the state
/// dir by `up`, else (a state dir from an older netlab) the path it was brought up
/// from. Checks LAB's name first, and sets g.instance from a LAB@INSTANCE.
Expected<std::string> file_of_lab(const std::string& lab, Globals& g);

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
Expected<NodeTarget> enter_node_for_command(const std::string& node, const std::string& file,
                                            const std::string& instance = {});

/// The copy of lab LAB's file in its state dir; fails (exit 1) when the lab is not up.
Expected<std::string> lab_copy_path(const std::string& lab);

/// From here on SIGINT and SIGTERM ask the run to stop (request_stop) instead of
/// killing the process: up/down undo this run's changes and exit 128+signal.
void stop_on_signals();

/// For a run that a signal stopped (ApplyResult::interrupted, or a stop request
/// after it finished): prints what was undone; returns 128+signal.
int report_interrupted(const ApplyResult& r);

/// Keeps the file as applied in the state dir (up, watch), so `status -l` works from
/// anywhere and after the file changed. A copy that cannot be written is a warning.
void keep_topology_copy(const Topology& topo);

/// Prints the outcome of an up-like run (the JSON document, the failure or undo,
/// the summary and `message`); returns the exit code. `extra`: keys added to the JSON document.
int finish_reconcile(const std::string& lab, const ReconcileReport& r, const Globals& g, const std::string& message,
                     const nlohmann::json* extra = nullptr);

/// The exercise a lab runs (`netlab exercise start`) and the model it started from.
struct RunningExercise {
  ExerciseState state;
  const Exercise* exercise = nullptr; ///< into the Topology it was looked up in
  Topology start;                     ///< exercise_start() of that topology
};

/// The exercise `topo`'s lab runs, or nullopt (none, or the file no longer has
/// it: then a warning says so and the lab is treated as a plain lab).
std::optional<RunningExercise> running_exercise(const Topology& topo);

/// Maps an Error to its exit code after printing it.
int report(const Error& e);

// --json: stdout carries exactly one JSON document per run, with "schema_version"
// (docs/json.md). A verb prints its result with print_json; when it fails before
// doing so, finish_json prints {"schema_version", "error": {...}} built from what
// the run reported (report_error, diagnostics). Exit codes are never changed.

/// Prints `doc` with "schema_version" on stdout, once per run.
void print_json(nlohmann::json doc);

/// Records an error for the JSON error document without printing it.
void note_error(const std::string& message);

/// Records a file's problems as {"file", "line", "col", "message"} for the JSON error document.
void note_diagnostics(const std::vector<Diagnostic>& diags);

/// The recorded diagnostics, as a JSON array.
nlohmann::json noted_diagnostics();

/// At the end of a --json run that failed without a document: prints the error
/// document for `exit_code`. Returns `exit_code`.
int finish_json(bool json, int exit_code);

} // namespace netlab::app
