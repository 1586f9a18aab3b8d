#include "common.hpp"

#include <netlab/plan/exercise.hpp>

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/report/report.hpp>
#include <netlab/util/log.hpp>
#include <netlab/watch/watcher.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace netlab::app {

namespace {

/// Prints one watcher event: a line of text (errors on stderr), or one JSON object per line.
void print_event(const std::string& lab, const WatchEvent& e, const Globals& g) {
  if (g.json) {
    std::printf("%s\n", watch_event_json(lab, e).c_str());
  } else {
    const bool bad = e.kind == WatchEvent::Kind::error || e.kind == WatchEvent::Kind::invalid;
    if (g.quiet && !bad) return;
    const bool detail = e.kind == WatchEvent::Kind::resync || e.kind == WatchEvent::Kind::note;
    if (detail && g.verbose == 0 && e.kind == WatchEvent::Kind::resync) return;
    std::fprintf(bad ? stderr : stdout, "%s\n", format_watch_event(e).c_str());
  }
  std::fflush(stdout);
}

/// `up` before watching, printed as `up` prints it. Returns the memory it left, or the exit code.
std::variant<LabState, int> bring_up(LabSession& lab, const WatchCliOptions& o, Globals& g) {
  for (const auto& w : preflight_warnings(lab.topo)) log_line(LogLevel::warn, w);
  ChangePrinter printer(g, o.explain);
  auto result = reconcile(
      *lab.kernel, lab.topo, lab.memory, [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
      [&](const Plan& plan) { printer.start(plan); });
  printer.finish();
  if (!result) return report(result.error());
  if (g.json) {
    nlohmann::json doc = reconcile_json(lab.topo.name, *result);
    doc["event"] = "up";
    doc["schema_version"] = k_json_schema_version;
    std::printf("%s\n", doc.dump().c_str());
  }
  if (result->applied.interrupted) return report_interrupted(result->applied);
  if (result->applied.error) {
    report_error("failed: " + describe(result->plan.actions[*result->applied.failed_index]) + ": " +
                 result->applied.error->message + "; every change was undone, nothing is watched");
    return static_cast<int>(ExitCode::failure);
  }
  for (const auto& f : result->unconverged) report_error("applied, but the kernel still differs: " + format_finding(f));
  if (!g.json && !g.quiet) std::printf("%s\n", summary_line(result->plan.actions.size(), result->elapsed_ms).c_str());
  const std::string& message = lab.topo.message;
  if (!g.json && !g.quiet && !message.empty())
    std::printf("\n%s%s\n", message.c_str(), message.ends_with('\n') ? "" : "\n");
  keep_topology_copy(lab.topo);
  return std::move(*result->memory);
}

/// --down-on-exit: the lab's `down`, printed as `down` prints it.
int tear_down(Kernel& kernel, const std::string& lab, const WatchCliOptions& o, Globals& g) {
  auto locks = lock_lab(lab, LabAccess::change, g);
  if (!locks) return report(locks.error());
  auto memory = discover_lab(kernel, lab);
  if (!memory) return report(memory.error());
  Topology nothing;
  nothing.name = lab;
  ChangePrinter printer(g, o.explain);
  auto result = reconcile(
      kernel, nothing, *memory, [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
      [&](const Plan& plan) { printer.start(plan); });
  printer.finish();
  if (!result) return report(result.error());
  if (result->applied.error) {
    report_error("failed: " + describe(result->plan.actions[*result->applied.failed_index]) + ": " +
                 result->applied.error->message);
    return static_cast<int>(ExitCode::failure);
  }
  (void)remove_lab_state(lab);
  if (!g.json && !g.quiet)
    std::printf("lab '%s' is down: %s\n", lab.c_str(),
                summary_line(result->plan.actions.size(), result->elapsed_ms).c_str());
  return 0;
}

} // namespace

int run_watch(const WatchCliOptions& o, Globals& g) {
  auto topo = load_topology(o.file, g);
  if (!topo) return g.exit_code;
  auto watching = RunLock::watcher(topo->name); // before the up: a second watcher changes nothing
  if (!watching) return report(watching.error());
  auto lab = open_lab(o.file, g);
  if (!lab) return g.exit_code;
  // A watcher repairs drift as it happens: it would undo the exercise at once
  // (and then the student's own repair of anything else). Not both.
  if (auto running = running_exercise(lab->topo))
    return report(Error{"lab '" + lab->topo.name + "' runs " +
                            exercise_title(*running->exercise, running->state.number) +
                            ", which a watcher would repair; end it first (netlab up --repair " + o.file + ")",
                        ExitCode::failure});
  stop_on_signals(); // the up is undone on SIGINT/SIGTERM, as `up` does
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(lab->topo.source_path, ec); !ec) lab->topo.source_path = abs.string();
  auto up = bring_up(*lab, o, g);
  if (const int* rc = std::get_if<int>(&up)) return *rc;
  if (stop_requested()) return report_interrupted({});
  install_watch_signals();
  std::unique_ptr<Kernel> kernel = std::move(lab->kernel);
  Topology want = std::move(lab->topo);
  const std::string name = want.name;
  lab.reset(); // the locks go: up and down from another terminal may run while we watch
  WatchOptions wo;
  wo.file = want.source_path;
  wo.heal = !o.no_heal;
  wo.resync_period = std::chrono::seconds(o.resync_seconds);
  auto watcher = std::make_unique<Watcher>(*kernel, std::move(want), std::get<LabState>(std::move(up)), wo,
                                           [&](const WatchEvent& e) { print_event(name, e, g); });
  auto end = watcher->run();
  if (!end) return report(end.error());
  if (*end == WatchEnd::lab_down) return 0;
  const std::string file = watcher->want().source_path;
  watcher.reset(); // its sockets would keep the lab's namespaces alive while down waits for them to go
  if (o.down_on_exit) return tear_down(*kernel, name, o, g);
  WatchEvent stop;
  stop.kind = WatchEvent::Kind::stop;
  stop.message = "lab '" + name + "' stays up (netlab down " +
                 (name.find('@') == std::string::npos ? file : "-l " + name) + " removes it)";
  print_event(name, stop, g);
  return 0;
}

void add_watch(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<WatchCliOptions>();
  auto* cmd = app.add_subcommand("watch", "Bring FILE's lab up, then keep it so: repair drift at once and apply "
                                          "edits of FILE as they are saved");
  cmd->add_option("file", opts->file, "Topology file")->required();
  cmd->add_flag("--no-heal", opts->no_heal, "Only report drift (a live status); edits of FILE are still applied");
  cmd->add_flag("--down-on-exit", opts->down_on_exit, "Take the lab down when the watcher stops (Ctrl-C, SIGTERM)");
  cmd->add_option("--resync", opts->resync_seconds,
                  "Read the whole lab again every SECONDS, for what sends no events (sysctls); 0: never")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--explain", opts->explain, "Show the ip/nft commands that do each change by hand");
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  add_lock_flags(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("Listens to netlink events in every namespace of the lab, to /run/netns and to FILE's directory;\n"
              "idle, it uses no CPU. Drift is repaired as `repaired ns2/vethD/state: want up, had down (3.1 ms)`;\n"
              "a user's own objects are never touched. An edit that makes FILE invalid is reported (FILE:LINE:COL)\n"
              "and the lab kept. One watcher per lab; up and down from another terminal still work (they print a\n"
              "note) and the watcher follows them, ending when the lab is taken down. --json: one JSON object per\n"
              "line (docs/json.md).\n"
              "Exit: 0 stopped (SIGINT/SIGTERM: the lab stays up) or the lab was taken down, 1 failure,\n"
              "2 invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_watch(*opts, g); });
}

} // namespace netlab::app
