#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/exercise.hpp>
#include <netlab/report/report.hpp>
#include <netlab/util/log.hpp>

#include <nlohmann/json.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace netlab::app {

int finish_reconcile(const std::string& lab, const ReconcileReport& r, const Globals& g, const std::string& message,
                     const nlohmann::json* extra) {
  if (g.json) {
    nlohmann::json doc = reconcile_json(lab, r);
    if (extra) doc.update(*extra);
    print_json(std::move(doc));
  }
  if (r.applied.interrupted) return report_interrupted(r.applied);
  if (r.applied.error) {
    const Action& failed = r.plan.actions[*r.applied.failed_index];
    report_error("failed: " + describe(failed) + ": " + r.applied.error->message);
    if (r.applied.undo_errors.empty()) {
      report_error("undid " + std::to_string(r.applied.done) + " completed change(s); the kernel is as it was before");
    } else {
      for (const auto& e : r.applied.undo_errors) report_error("could not undo: " + e);
    }
    return static_cast<int>(ExitCode::failure);
  }
  if (!r.unconverged.empty()) {
    report_error("applied, but the kernel still differs:");
    for (const auto& f : r.unconverged) report_error("  " + format_finding(f));
    return static_cast<int>(ExitCode::failure);
  }
  if (stop_requested()) return report_interrupted(r.applied);
  if (!g.json && !g.quiet) {
    std::printf("%s\n", summary_line(r.plan.actions.size(), r.elapsed_ms).c_str());
    if (!message.empty()) std::printf("\n%s%s", message.c_str(), message.ends_with('\n') ? "" : "\n");
  }
  return 0;
}

namespace {

struct UpOptions {
  std::string file;
  bool explain = false;
  bool watch = false;
  bool adopt = false;
  bool repair = false; ///< an exercise runs: restore the solution and end it
};

/// `up` while an exercise runs: repairs everything but what the exercise broke
/// (the actions towards the file that the plan towards its start has too).
Expected<ReconcileReport> up_keeping_exercise(LabSession& lab, const RunningExercise& running,
                                              ChangePrinter& printer) {
  auto to_solution = plan_lab(*lab.kernel, lab.topo, lab.memory);
  if (!to_solution) return std::unexpected(to_solution.error());
  auto to_start = plan_lab(*lab.kernel, running.start, lab.memory);
  if (!to_start) return std::unexpected(to_start.error());
  return apply_lab(
      *lab.kernel, lab.topo, lab.memory, keep_exercise_start(std::move(*to_solution), *to_start),
      [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
      [&](const Plan& plan) { printer.start(plan); });
}

int run_up(const UpOptions& o, Globals& g) {
  auto lab = open_lab(o.file, g);
  if (!lab) return g.exit_code;
  lab->memory.adopt = o.adopt;
  stop_on_signals(); // only now: a run waiting for the lock is simply killed
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(lab->topo.source_path, ec); !ec) lab->topo.source_path = abs.string();
  for (const auto& w : preflight_warnings(lab->topo)) log_line(LogLevel::warn, w); // "netlab: warning: ..."
  ChangePrinter printer(g, o.explain);
  auto running = running_exercise(lab->topo);
  if (running && !o.repair && !g.quiet)
    std::fprintf(stderr, "netlab: note: lab '%s' runs %s: what it broke stays broken (up --repair restores the "
                         "file and ends it)\n",
                 lab->topo.name.c_str(), exercise_title(*running->exercise, running->state.number).c_str());
  auto result = running && !o.repair
                    ? up_keeping_exercise(*lab, *running, printer)
                    : reconcile(
                          *lab->kernel, lab->topo, lab->memory,
                          [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
                          [&](const Plan& plan) { printer.start(plan); });
  printer.finish();
  if (!result) return report(result.error());
  int rc = finish_reconcile(lab->topo.name, *result, g, lab->topo.message);
  if (rc == 0) keep_topology_copy(lab->topo);
  if (rc == 0 && running && o.repair)
    if (auto removed = remove_exercise_state(lab->topo.name); !removed) return report(removed.error());
  return rc;
}

} // namespace

void add_up(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand("up", "Make the kernel match FILE: create what is missing, fix what differs, "
                                       "delete what the lab owns but no longer declares");
  cmd->add_option("file", opts->file, "Topology file")->required();
  cmd->add_flag("--explain", opts->explain, "Show the ip/nft commands that do each change by hand");
  cmd->add_flag("--watch", opts->watch, "Stay and keep the lab so afterwards (netlab watch FILE)");
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  cmd->add_flag("--adopt", opts->adopt,
                "Take over (tag) namespaces and links made by hand that match the file, instead of refusing them");
  cmd->add_flag("--repair", opts->repair,
                "While an exercise runs: also repair what it broke, and end it (netlab exercise start FILE)");
  add_lock_flags(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("Prints each change as it is applied (+ create, - delete, ~ change); on a terminal, a plan of more\n"
              "than 50 changes shows one progress line instead (-v prints every line). On a failure every change\n"
              "of this run is undone, and so on SIGINT/SIGTERM (a second one stops the undo; the next up or down\n"
              "finishes).\n"
              "Exit: 0 converged, 1 failure (nothing changed), 2 invalid file, 130/143 interrupted.");
  cmd->callback([opts, &g] {
    if (opts->watch && opts->adopt) {
      report_error("--adopt and --watch: run 'netlab up --adopt FILE' first, then 'netlab watch FILE'");
      g.exit_code = static_cast<int>(ExitCode::usage);
      return;
    }
    g.exit_code = opts->watch ? run_watch(WatchCliOptions{opts->file, false, false, 60, opts->explain}, g)
                              : run_up(*opts, g);
  });
}

} // namespace netlab::app
