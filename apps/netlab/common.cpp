#include "common.hpp"

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
