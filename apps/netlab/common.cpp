#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/report/report.hpp>
#include <netlab/report/terminal.hpp>
#include <netlab/topology/instance.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/multihost.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>
#include <netlab/util/log.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <cstdlib>

namespace netlab::app {

std::optional<Topology> load_topology(const std::string& path, Globals& g) {
  auto raw = load_file(path);
  if (!raw) {
    note_error(raw.error().message);
    std::fprintf(stderr, "%s\n", raw.error().message.c_str());
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  auto topo = validate(*raw);
  if (!topo) {
    note_error(path + ": not a valid topology (" + std::to_string(topo.error().size()) + " problem(s))");
    note_diagnostics(topo.error());
    for (const auto& d : topo.error()) std::fprintf(stderr, "%s\n", d.str().c_str());
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  if (!g.instance.empty()) {
    auto inst = instantiate(std::move(*topo), g.instance);
    if (!inst) {
      note_error(inst.error());
      report_error(inst.error());
      g.exit_code = static_cast<int>(ExitCode::usage);
      return std::nullopt;
    }
    *topo = std::move(*inst);
  }
  return machine_part(std::move(*topo), g);
}

std::optional<Topology> machine_part(Topology topo, Globals& g) {
  if (!g.takes_host || (topo.hosts.empty() && g.host.empty())) return topo;
  std::string host = g.host;
  if (host.empty() && topo.hosts.size() == 1) host = topo.hosts[0].name;
  if (host.empty()) // the machine whose part is up here (an unreadable state is for the verb to report)
    if (auto memory = load_lab_state(topo.name); memory && !memory->machine.empty() && topo.find_host(memory->machine))
      host = memory->machine;
  if (host.empty()) {
    std::string names;
    for (const auto& m : topo.hosts) names += (names.empty() ? "" : ", ") + m.name;
    const std::string message = "lab '" + topo.name + "' spans " + std::to_string(topo.hosts.size()) +
                                " machines (" + names + "): give --host NAME, the machine whose part to work on";
    report_error(message);
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  auto part = for_host(topo, host);
  if (!part) {
    report_error(part.error());
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  if (!g.quiet)
    for (const auto& w : part->warnings) std::fprintf(stderr, "netlab: warning: %s\n", w.c_str());
  return std::move(part->topo);
}

void add_instance_flag(CLI::App* cmd, Globals& g) {
  cmd->add_option("-i,--instance", g.instance,
                  "An independent copy of the lab: lab name LAB@NAME, every namespace NAME-NODE, the host "
                  "node a namespace of its own (docs/topology.md)")
      ->type_name("NAME")
      ->check([](const std::string& v) { return instance_name_problem(v).value_or(""); });
}

void add_host_flag(CLI::App* cmd, Globals& g) {
  // Only the verb that runs cuts the file: its parse begins by saying so.
  cmd->preparse_callback([&g](std::size_t) { g.takes_host = true; });
  cmd->add_option("--host", g.host,
                  "The machine (of the file's hosts:) whose part of a multi-host lab to work on: its nodes and "
                  "its ends of the tunnels to the others (docs/multi-host.md)")
      ->type_name("NAME");
}

Expected<void> instance_from_lab(const std::string& lab, Globals& g) {
  if (lab.empty()) return {};
  if (!g.instance.empty())
    return fail("give -l LAB@INSTANCE or -i INSTANCE with FILE, not -l and -i", ExitCode::usage);
  g.instance = instance_of(lab);
  return {};
}

std::optional<LabSession> open_lab(const std::string& file, Globals& g, LabAccess access) {
  auto topo = load_topology(file, g);
  if (!topo) return std::nullopt;
  auto locks = lock_lab(topo->name, access, g);
  if (!locks) {
    g.exit_code = report(locks.error());
    return std::nullopt;
  }
  auto memory = load_lab_state(topo->name);
  if (!memory) {
    g.exit_code = report(memory.error());
    return std::nullopt;
  }
  if (auto ok = check_host_netns(*memory, g); !ok) {
    g.exit_code = report(ok.error());
    return std::nullopt;
  }
  return LabSession{std::move(*topo), std::move(locks->first), std::move(locks->second), std::move(*memory),
                    make_netlink_kernel()};
}

void add_lock_flags(CLI::App* cmd, Globals& g) {
  auto* wait = cmd->add_option("--wait", g.wait_seconds,
                               "Wait at most SECONDS for another run's lock (default: "
                               "wait for ever)");
  wait->type_name("SECONDS")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-wait", g.no_wait, "Fail at once (exit 1) when another run holds the lock")->excludes(wait);
}

void add_host_netns_flag(CLI::App* cmd, Globals& g) {
  cmd->add_flag("--host-netns", g.host_netns,
                "Work on the lab although netlab runs in another network namespace than its `up` did "
                "(or inside a node); this namespace becomes the lab's host");
}

LockWait lock_wait(const Globals& g) {
  LockWait w;
  if (g.no_wait)
    w.limit = std::chrono::milliseconds(0);
  else if (g.wait_seconds >= 0)
    w.limit = std::chrono::milliseconds(static_cast<int64_t>(g.wait_seconds * 1000));
  w.on_waiting = [](const std::string& what) { std::fprintf(stderr, "netlab: %s\n", what.c_str()); };
  return w;
}

Expected<std::pair<RunLock, std::optional<RunLock>>> lock_lab(const std::string& lab, LabAccess access,
                                                              const Globals& g) {
  LockWait wait = lock_wait(g);
  auto own = RunLock::lab(lab, access == LabAccess::change ? LockMode::exclusive : LockMode::shared, wait);
  if (!own) return std::unexpected(own.error());
  if (access == LabAccess::read) return std::pair{std::move(*own), std::optional<RunLock>{}};
  auto global = RunLock::global(wait);
  if (!global) return std::unexpected(global.error());
  if (auto watcher = lab_watcher(lab); watcher && !g.quiet)
    std::fprintf(stderr, "netlab: note: lab '%s' is watched by %s; it follows this run\n", lab.c_str(),
                 watcher->c_str());
  return std::pair{std::move(*own), std::optional<RunLock>{std::move(*global)}};
}

Expected<void> check_host_netns(const LabState& memory, const Globals& g) {
  if (g.host_netns) return {};
  if (const char* node = std::getenv("NETLAB_NODE"); node && *node)
    return fail("netlab runs inside node '" + escape_for_terminal(node) +
                "' (NETLAB_NODE is set by netlab shell/exec); run it from the host, or pass --host-netns");
  if (auto problem = host_netns_problem(memory)) return fail(*problem);
  return {};
}

Expected<void> check_lab_name(const std::string& lab) {
  if (auto problem = lab_name_problem(lab)) return fail(*problem, ExitCode::usage);
  return {};
}

namespace {
extern "C" void on_stop_signal(int sig) { request_stop(sig); }
} // namespace

Expected<std::string> file_of_lab(const std::string& lab, Globals& g) {
  if (auto ok = check_lab_name(lab); !ok) return std::unexpected(ok.error());
  if (auto ok = instance_from_lab(lab, g); !ok) return std::unexpected(ok.error());
  std::error_code ec;
  if (std::string copy = lab_topology_path(lab); std::filesystem::exists(copy, ec)) return copy;
  auto memory = load_lab_state(lab);
  if (!memory) return std::unexpected(memory.error());
  if (memory->source_path.empty()) return fail("lab '" + lab + "' is not up (no state in /run/netlab)");
  return memory->source_path;
}

void stop_on_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; // the handler only sets a flag; apply_plan looks at it between actions
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int report_interrupted(const ApplyResult& r) {
  const int sig = r.interrupted ? r.interrupted : stop_signal();
  const std::string name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
  if (!r.interrupted) {
    report_error("interrupted (" + name + ") after every change was applied; nothing undone");
  } else if (r.undo_stopped) {
    report_error("interrupted (" + name + "); undo stopped by a second signal after " +
                 std::to_string(r.undone.size()) + " step(s): the lab is half-way, run 'netlab up' or "
                 "'netlab down' to finish");
  } else {
    for (const auto& u : r.undone) std::fprintf(stderr, "  undone: %s\n", u.c_str());
    for (const auto& e : r.undo_errors) report_error("could not undo: " + e);
    report_error("interrupted (" + name + "): undid " + std::to_string(r.done) + " completed change(s)" +
                 (r.undo_errors.empty() ? "; the kernel is as it was before" : ""));
  }
  return 128 + sig;
}

void print_action(const Action& a, bool explain_it, bool paint) {
  std::printf("%s\n", paint_change(describe(a), paint).c_str());
  if (!explain_it) return;
  for (const auto& cmd : explain(a)) std::printf("    %s%s\n", cmd.starts_with('#') ? "" : "$ ", cmd.c_str());
}

ChangePrinter::ChangePrinter(const Globals& g, bool explain) : m_g(g), m_explain(explain) {}

void ChangePrinter::start(const Plan& plan) {
  m_total = plan.actions.size();
  m_progress = show_progress(m_g.tty, m_g.verbose, m_g.quiet || m_g.json, m_total);
  m_start = std::chrono::steady_clock::now();
  if (m_progress) draw();
}

void ChangePrinter::step(const Action& a, const Expected<void>& outcome) {
  ++m_done;
  if (m_g.json || m_g.quiet) return;
  if (!m_progress) {
    if (outcome) print_action(a, m_explain, m_g.paint);
    return;
  }
  using namespace std::chrono_literals;
  if (m_done == m_total || std::chrono::steady_clock::now() - m_drawn > 100ms) draw();
}

void ChangePrinter::draw() {
  m_drawn = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(m_drawn - m_start).count();
  std::printf("\r\x1b[K%s", progress_line(m_done, m_total, elapsed).c_str());
  std::fflush(stdout);
}

void ChangePrinter::finish() {
  if (!m_progress) return;
  std::printf("\r\x1b[K");
  std::fflush(stdout);
  m_progress = false;
}

Expected<NodeTarget> enter_node_for_command(const std::string& node, const std::string& file,
                                            const std::string& instance) {
  auto target = resolve_node(node, file, instance);
  if (!target) return target;
  if (auto entered = enter_node(*target); !entered) return std::unexpected(entered.error());
  export_node_env(*target);
  return target;
}

Expected<std::string> lab_copy_path(const std::string& lab) {
  if (auto ok = check_lab_name(lab); !ok) return std::unexpected(ok.error());
  std::string copy = lab_topology_path(lab);
  std::error_code ec;
  if (!std::filesystem::exists(copy, ec)) return fail("lab '" + lab + "' is not up (no state in /run/netlab)");
  return copy;
}

void keep_topology_copy(const Topology& topo) {
  std::ifstream in(topo.source_path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return;
  if (auto saved = save_lab_topology(topo.name, text.str()); !saved) log_line(LogLevel::warn, saved.error().message);
}

int report(const Error& e) {
  report_error(e.message);
  return static_cast<int>(e.code);
}

namespace {

/// What one run said on the --json path: whether its document is out, and the
/// errors it reported, for the error document when it is not.
struct JsonRun {
  bool printed = false;
  std::vector<std::string> errors;
  nlohmann::json diagnostics = nlohmann::json::array();
};

JsonRun& json_run() {
  static JsonRun run;
  return run;
}

} // namespace

void print_json(nlohmann::json doc) {
  JsonRun& run = json_run();
  if (run.printed) return; // one document per run, whatever a verb does
  run.printed = true;
  doc["schema_version"] = k_json_schema_version;
  std::printf("%s\n", doc.dump(2).c_str());
  std::fflush(stdout);
}

void note_error(const std::string& message) { json_run().errors.push_back(message); }

void note_diagnostics(const std::vector<Diagnostic>& diags) {
  for (const auto& d : diags)
    json_run().diagnostics.push_back(
        {{"file", d.path}, {"line", d.mark.line}, {"col", d.mark.col}, {"message", d.message}});
}

nlohmann::json noted_diagnostics() { return json_run().diagnostics; }

int finish_json(bool json, int exit_code) {
  const JsonRun& run = json_run();
  if (!json || exit_code == 0 || run.printed) return exit_code;
  const std::string message = run.errors.empty() ? "failed" : run.errors.front();
  nlohmann::json error = error_json(message, static_cast<ExitCode>(exit_code));
  if (run.errors.size() > 1) error["details"] = std::vector<std::string>(run.errors.begin() + 1, run.errors.end());
  error["diagnostics"] = run.diagnostics;
  print_json({{"error", error}});
  return exit_code;
}

} // namespace netlab::app
