#include "common.hpp"

#include <netlab/plan/describe.hpp>
#include <netlab/report/terminal.hpp>
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
