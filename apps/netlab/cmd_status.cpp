#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/exercise.hpp>
#include <netlab/report/report.hpp>
#include <netlab/report/terminal.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

namespace netlab::app {

namespace {

struct StatusOptions {
  std::string file;
  std::string lab;
  bool adopt = false;
};

/// --json's "exercise": which paths differ as the running exercise starts them.
nlohmann::json exercise_json(const RunningExercise& running, const std::vector<ExerciseFinding>& findings) {
  std::vector<std::string> paths;
  for (const auto& e : findings)
    if (e.start_point) paths.push_back(e.finding.path);
  return {{"number", running.state.number},
          {"name", running.exercise->name},
          {"solved", running.state.solved},
          {"attempts", running.state.attempts},
          {"start_point", paths}};
}

/// One line per object (the ok ones unless -q); an exercise's start point is marked, and not painted as drift.
void print_findings(const std::vector<ExerciseFinding>& findings, const Globals& g) {
  for (const auto& e : findings) {
    const Finding& f = e.finding;
    if (!(g.verbose > 0 || f.state != Finding::State::ok || !g.quiet)) continue;
    std::string line = format_finding(f);
    if (e.start_point) line += "  (exercise start point)";
    std::printf("%s\n", paint_finding(line, e.start_point ? Finding::State::ok : f.state, g.paint).c_str());
  }
}

/// "converged, N objects ok", "D of N objects differ from the file", or the same for a running exercise.
std::string summary_text(const std::vector<ExerciseFinding>& findings, size_t drift, const RunningExercise* running) {
  const std::string total = std::to_string(findings.size());
  std::string summary = drift == 0 ? "converged, " + total + " objects ok"
                                   : std::to_string(drift) + " of " + total + " objects differ from the file";
  if (!running) return summary;
  const size_t start = std::ranges::count_if(findings, [](const ExerciseFinding& e) { return e.start_point; });
  const std::string title = exercise_title(*running->exercise, running->state.number);
  if (drift > 0) return summary + " (besides " + std::to_string(start) + " as " + title + " starts them)";
  if (start == 0) return title + " runs: every object matches the solution";
  return title + " runs: " + std::to_string(start) + " object(s) as it starts them, nothing else differs";
}

int run_status(const StatusOptions& o, Globals& g) {
  if (o.file.empty() == o.lab.empty()) {
    report_error("status needs exactly one of FILE or -l LAB");
    return static_cast<int>(ExitCode::usage);
  }
  std::string file = o.file;
  if (file.empty()) {
    auto found = file_of_lab(o.lab, g);
    if (!found) return report(found.error());
    file = *found;
  }
  auto topo = load_topology(file, g);
  if (!topo) return g.exit_code;
  auto memory = load_lab_state(topo->name);
  if (!memory) return report(memory.error());
  memory->adopt = o.adopt;
  if (auto ok = check_host_netns(*memory, g); !ok) return report(ok.error());
  auto kernel = make_netlink_kernel();
  auto have = observe_lab(*kernel, *topo, *memory);
  if (!have) return report(have.error());
  Plan plan = diff(*topo, *have, *memory);
  auto running = running_exercise(*topo);
  std::vector<ExerciseFinding> findings;
  if (running) {
    findings = classify_findings(plan, diff(running->start, *have, *memory));
  } else {
    for (const auto& f : plan.findings) findings.push_back({f, false});
  }
  const size_t drift = std::ranges::count_if(
      findings, [](const ExerciseFinding& e) { return e.finding.state != Finding::State::ok && !e.start_point; });
  if (g.json) {
    auto doc = status_json(topo->name, plan);
    if (running) doc["exercise"] = exercise_json(*running, findings);
    if (!topo->part_of.empty()) doc["host"] = topo->part_of; // a multi-host lab's machine (--host)
    print_json(std::move(doc));
  } else {
    print_findings(findings, g);
    std::printf("lab '%s': %s\n", topo->name.c_str(), summary_text(findings, drift, running ? &*running : nullptr).c_str());
  }
  return drift == 0 ? 0 : static_cast<int>(ExitCode::drift);
}

} // namespace

void add_status(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "Compare the kernel with FILE: every object ok, missing, different or extra");
  cmd->add_option("file", opts->file, "Topology file");
  cmd->add_option("-l,--lab", opts->lab, "Lab name (uses the copy of the file it was brought up with, kept in /run/netlab/LAB)");
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  cmd->add_flag("--adopt", opts->adopt,
                "Compare as up --adopt would: namespaces and links made by hand that match the file count as ok");
  add_host_netns_flag(cmd, g);
  cmd->footer("Exit: 0 converged, 3 drift found, 1 failure, 2 invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_status(*opts, g); });
}

} // namespace netlab::app
