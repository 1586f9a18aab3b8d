#include "common.hpp"

#include <csignal>

#include <netlab/plan/describe.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <cstdio>

namespace netlab::app {

std::optional<Topology> load_topology(const std::string& path, Globals& g) {
  auto raw = load_file(path);
  if (!raw) {
    std::fprintf(stderr, "%s\n", raw.error().message.c_str());
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  auto topo = validate(*raw);
  if (!topo) {
    for (const auto& d : topo.error()) std::fprintf(stderr, "%s\n", d.str().c_str());
    g.exit_code = static_cast<int>(ExitCode::usage);
    return std::nullopt;
  }
  return std::move(*topo);
}

std::optional<LabSession> open_lab(const std::string& file, Globals& g) {
  auto topo = load_topology(file, g);
  if (!topo) return std::nullopt;
  auto lock = RunLock::acquire();
  if (!lock) {
    g.exit_code = report(lock.error());
    return std::nullopt;
  }
  auto memory = load_lab_state(topo->name);
  if (!memory) {
    g.exit_code = report(memory.error());
    return std::nullopt;
  }
  return LabSession{std::move(*topo), std::move(*lock), std::move(*memory), make_netlink_kernel()};
}

namespace {
extern "C" void on_stop_signal(int sig) { request_stop(sig); }
} // namespace

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

void print_action(const Action& a, bool explain_it) {
  std::printf("%s\n", describe(a).c_str());
  if (!explain_it) return;
  for (const auto& cmd : explain(a)) std::printf("    %s%s\n", cmd.starts_with('#') ? "" : "$ ", cmd.c_str());
}

Expected<NodeTarget> enter_node_for_command(const std::string& node, const std::string& file) {
  auto target = resolve_node(node, file);
  if (!target) return target;
  if (auto entered = enter_node(*target); !entered) return std::unexpected(entered.error());
  export_node_env(*target);
  return target;
}

int report(const Error& e) {
  report_error(e.message);
  return static_cast<int>(e.code);
}

} // namespace netlab::app
