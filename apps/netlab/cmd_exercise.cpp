// `netlab exercise list|start|check FILE [N]`: labs that start broken. start is
// `up` of the broken model (plan/exercise: a pure edit of the file's model) and
// remembers the exercise in the lab's state dir; check runs its checks, counts
// failed attempts there and gives one more hint per failed attempt.
#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/check/report.hpp>
#include <netlab/check/run.hpp>
#include <netlab/plan/exercise.hpp>
#include <netlab/report/report.hpp>
#include <netlab/util/log.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace netlab::app {

std::optional<RunningExercise> running_exercise(const Topology& topo) {
  auto state = load_exercise_state(topo.name);
  if (!state) {
    log_line(LogLevel::warn, state.error().message);
    return std::nullopt;
  }
  if (!*state) return std::nullopt;
  const std::size_t n = (*state)->number;
  if (n == 0 || n > topo.exercises.size() || topo.exercises[n - 1].name != (*state)->name) {
    log_line(LogLevel::warn, "lab '" + topo.name + "' runs exercise " + std::to_string(n) +
                                 ", which the file no longer has; treating the lab as a plain lab");
    return std::nullopt;
  }
  const Exercise& ex = topo.exercises[n - 1];
  return RunningExercise{**state, &ex, exercise_start(topo, ex)};
}

namespace {

struct ExerciseOptions {
  std::string action; ///< list, start or check
  std::string file;
  std::size_t number = 0; ///< 0: start the first, check the running one
  bool explain = false;
  std::string junit;
};

int exercise_usage(const std::string& message) {
  report_error(message);
  return static_cast<int>(ExitCode::usage);
}

/// The first line of a task, for a listing.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

int list_exercises(const Topology& topo, const Globals& g) {
  if (g.json) {
    // Each task in g.lang (or the version closest to it); "lang" says which was asked for.
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < topo.exercises.size(); ++i) {
      const Exercise& ex = topo.exercises[i];
      nlohmann::json start = nlohmann::json::array();
      for (const auto& b : ex.start) start.push_back(describe(b));
      list.push_back({{"number", i + 1}, {"name", ex.name}, {"task", ex.task.in(g.lang)}, {"start", start},
                      {"checks", exercise_checks(topo, ex).size()}, {"hints", ex.hints.size()}});
    }
    print_json({{"lab", topo.name}, {"lang", g.lang}, {"exercises", list}});
    return 0;
  }
  if (topo.exercises.empty()) std::printf("lab '%s' has no exercises\n", topo.name.c_str());
  for (std::size_t i = 0; i < topo.exercises.size(); ++i) {
    const Exercise& ex = topo.exercises[i];
    std::printf("%zu  %s%s%s\n", i + 1, ex.name.empty() ? "" : ex.name.c_str(), ex.name.empty() ? "" : ": ",
                first_line(ex.task.in(g.lang)).c_str());
  }
  return 0;
}

void print_task(const Topology& topo, const Exercise& ex, std::size_t number, const std::string& lang) {
  const std::string& task = ex.task.in(lang);
  std::printf("\n%s of lab '%s':\n%s%s", exercise_title(ex, number).c_str(), topo.name.c_str(), task.c_str(),
              task.ends_with('\n') ? "" : "\n");
  std::printf("When it works: netlab exercise check %s (a hint per failed attempt)\n", topo.source_path.c_str());
}

int run_start(const ExerciseOptions& o, Globals& g) {
  auto lab = open_lab(o.file, g);
  if (!lab) return g.exit_code;
  const Topology& topo = lab->topo;
  if (topo.exercises.empty()) return exercise_usage("lab '" + topo.name + "' (" + o.file + ") has no exercises");
  const std::size_t n = o.number == 0 ? 1 : o.number;
  if (n > topo.exercises.size())
    return exercise_usage("lab '" + topo.name + "' has " + std::to_string(topo.exercises.size()) + " exercise(s), not " +
                 std::to_string(n));
  if (auto watcher = lab_watcher(topo.name))
    return report(Error{"lab '" + topo.name + "' is watched by " + *watcher +
                            ", which would repair the exercise at once; stop the watcher first",
                        ExitCode::failure});
  const Exercise& ex = topo.exercises[n - 1];
  stop_on_signals();
  Topology start = exercise_start(topo, ex);
  for (const auto& w : preflight_warnings(topo)) log_line(LogLevel::warn, w);
  ChangePrinter printer(g, o.explain);
  auto result = reconcile(
      *lab->kernel, start, lab->memory, [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
      [&](const Plan& plan) { printer.start(plan); });
  printer.finish();
  if (!result) return report(result.error());
  const nlohmann::json extra{{"exercise", {{"number", n}, {"name", ex.name}, {"task", ex.task.in(g.lang)}}},
                             {"lang", g.lang}};
  int rc = finish_reconcile(topo.name, *result, g, "", &extra);
  if (rc != 0) return rc;
  keep_topology_copy(topo); // the solution: `status -l` compares with it
  if (auto saved = save_exercise_state(topo.name, ExerciseState{n, ex.name, 0, false}); !saved)
    return report(saved.error());
  if (!g.json && !g.quiet) print_task(topo, ex, n, g.lang);
  return 0;
}

/// What still differs from the solution, in words (observe + diff, read only).
Expected<std::vector<std::string>> differences(const Topology& topo) {
  auto memory = load_lab_state(topo.name);
  if (!memory) return std::unexpected(memory.error());
  auto kernel = make_netlink_kernel();
  auto have = observe_lab(*kernel, topo, *memory);
  if (!have) return std::unexpected(have.error());
  std::vector<std::string> out;
  for (const auto& f : diff(topo, *have, *memory).findings)
    if (f.state != Finding::State::ok) out.push_back(finding_words(f));
  return out;
}

nlohmann::json check_doc(const Topology& topo, const ExerciseState& st, const std::vector<CheckResult>& results,
                         const std::optional<std::string>& hint, const std::vector<std::string>* diffs,
                         const std::string& lang) {
  nlohmann::json doc = checks_json(topo.name, results);
  const Exercise& ex = topo.exercises[st.number - 1];
  doc["exercise"] = {{"number", st.number}, {"name", ex.name}, {"task", ex.task.in(lang)}};
  doc["lang"] = lang;
  doc["solved"] = st.solved;
  doc["attempts"] = st.attempts;
  doc["hint"] = hint ? nlohmann::json(*hint) : nlohmann::json(nullptr);
  if (diffs) doc["differences"] = *diffs;
  return doc;
}

void print_check_text(const Exercise& ex, const ExerciseState& st, const std::vector<CheckResult>& results,
                      const std::optional<std::string>& hint, const std::vector<std::string>* diffs, const Globals& g) {
  for (const auto& r : results)
    if (!g.quiet || !r.passed) std::printf("%s\n", check_line(r).c_str());
  const std::string title = exercise_title(ex, st.number);
  if (st.solved)
    std::printf("%s solved (%u failed attempt(s) before)\n", title.c_str(), st.attempts);
  else
    std::printf("%s: %s, attempt %u\n", title.c_str(), summarize(results).str().c_str(), st.attempts);
  if (hint) std::printf("%s\n", hint->c_str());
  if (!diffs) return;
  if (diffs->empty()) std::printf("the kernel matches the solution\n");
  for (const auto& d : *diffs) std::printf("still different from the solution: %s\n", d.c_str());
}

int run_check_exercise(const ExerciseOptions& o, Globals& g) {
  auto topo = load_topology(o.file, g);
  if (!topo) return g.exit_code;
  auto running = running_exercise(*topo);
  if (!running)
    return report(Error{"lab '" + topo->name + "' runs no exercise: start one with netlab exercise start " + o.file,
                        ExitCode::failure});
  ExerciseState st = running->state;
  if (o.number != 0 && o.number != st.number)
    return exercise_usage("lab '" + topo->name + "' runs exercise " + std::to_string(st.number) + ", not " +
                 std::to_string(o.number));
  const Exercise& ex = *running->exercise;
  auto results = run_checks_of(*topo, exercise_checks(*topo, ex));
  const bool passed = summarize(results).failed == 0;
  std::optional<std::string> hint;
  if (passed) {
    st.solved = true;
  } else {
    st.solved = false; // the latest check decides
    ++st.attempts;
    if (!ex.hints.empty()) {
      std::size_t k = std::min<std::size_t>(st.attempts, ex.hints.size());
      hint = "hint " + std::to_string(k) + " of " + std::to_string(ex.hints.size()) + ": " + ex.hints[k - 1].in(g.lang);
    }
  }
  if (auto saved = save_exercise_state(topo->name, st); !saved) log_line(LogLevel::warn, saved.error().message);
  std::optional<std::vector<std::string>> diffs;
  if (o.explain) {
    auto d = differences(*topo);
    if (!d) return report(d.error());
    diffs = std::move(*d);
  }
  if (g.json)
    print_json(check_doc(*topo, st, results, hint, diffs ? &*diffs : nullptr, g.lang));
  else
    print_check_text(ex, st, results, hint, diffs ? &*diffs : nullptr, g);
  std::fflush(stdout);
  if (!o.junit.empty()) {
    std::ofstream out(o.junit, std::ios::trunc);
    if (out) out << junit_xml(topo->name, results);
    out.close();
    if (!out) return report(Error{"cannot write JUnit report '" + o.junit + "'", ExitCode::failure});
  }
  return passed ? 0 : static_cast<int>(ExitCode::drift);
}

int run_exercise(const ExerciseOptions& o, Globals& g) {
  if (o.action == "start") return run_start(o, g);
  if (o.action == "check") return run_check_exercise(o, g);
  auto topo = load_topology(o.file, g);
  if (!topo) return g.exit_code;
  return list_exercises(*topo, g);
}

} // namespace

void add_exercise(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("exercise", "Exercises: start the lab broken (start), judge the student's repair "
                                             "(check), or list them (list)");
  auto o = std::make_shared<ExerciseOptions>();
  cmd->add_option("ACTION", o->action, "list, start or check")
      ->required()
      ->check(CLI::IsMember({"list", "start", "check"}));
  cmd->add_option("FILE", o->file, "Topology file with 'exercises:'")->required();
  cmd->add_option("N", o->number, "Exercise number, from 1 (start: default 1)")->check(CLI::PositiveNumber);
  cmd->add_flag("--explain", o->explain,
                "start: show the ip/nft commands of each change; check: say what still differs from the solution");
  cmd->add_option("--junit", o->junit, "check: also write a JUnit XML report to this file");
  add_instance_flag(cmd, g);
  add_lock_flags(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("start brings the lab up as the exercise begins (what its 'start' breaks) and remembers it in\n"
              "/run/netlab/LAB; status then reports those objects as the exercise's start point, not drift, and up\n"
              "keeps them broken (up --repair restores the solution and ends the exercise). check runs the\n"
              "exercise's checks; each failed attempt shows the next hint.\n"
              "Exit: 0 started / solved, 3 a check failed, 2 invalid file or exercise number, 1 failure.");
  cmd->callback([&g, o] { g.exit_code = run_exercise(*o, g); });
}

} // namespace netlab::app
