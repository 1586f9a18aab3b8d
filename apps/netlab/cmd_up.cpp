#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/report/report.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab::app {

namespace {

struct UpOptions {
  std::string file;
  bool explain = false;
};

/// Prints the outcome of a reconcile run; returns the exit code.
int finish(const std::string& lab, const ReconcileReport& r, const Globals& g, const std::string& message) {
  if (g.json) std::printf("%s\n", reconcile_json(lab, r).dump(2).c_str());
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
  if (!g.json && !g.quiet) {
    std::printf("%s\n", summary_line(r.plan.actions.size(), r.elapsed_ms).c_str());
    if (!message.empty()) std::printf("\n%s%s", message.c_str(), message.ends_with('\n') ? "" : "\n");
  }
  return 0;
}

int run_up(const UpOptions& o, Globals& g) {
  auto lab = open_lab(o.file, g);
  if (!lab) return g.exit_code;
  bool live = !g.json && !g.quiet;
  for (const auto& w : preflight_warnings(lab->topo)) std::fprintf(stderr, "netlab: warning: %s\n", w.c_str());
  auto result = reconcile(*lab->kernel, lab->topo, lab->memory, [&](const Action& a, const Expected<void>& r) {
    if (live && r) print_action(a, o.explain);
  });
  if (!result) return report(result.error());
  return finish(lab->topo.name, *result, g, lab->topo.message);
}

} // namespace

void add_up(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand("up", "Make the kernel match FILE: create what is missing, fix what differs, "
                                       "delete what the lab owns but no longer declares");
  cmd->add_option("file", opts->file, "Topology file")->required();
  cmd->add_flag("--explain", opts->explain, "Show the ip/nft commands that do each change by hand");
  cmd->footer("Prints each change as it is applied (+ create, - delete, ~ change). On a failure every change of\n"
              "this run is undone. Exit: 0 converged, 1 failure (nothing changed), 2 invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_up(*opts, g); });
}

} // namespace netlab::app
