#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab::app {

namespace {

int run_list(Globals& g) {
  auto kernel = make_netlink_kernel();
  auto labs = discover_labs(*kernel);
  if (!labs) return report(labs.error());
  nlohmann::json out = nlohmann::json::array();
  if (!g.json && !labs->empty()) std::printf("%-24s %6s  %s\n", "LAB", "NODES", "SOURCE");
  for (const auto& lab : *labs) {
    auto memory = discover_lab_nodes(*kernel, lab);
    if (!memory) return report(memory.error());
    if (g.json) {
      out.push_back({{"lab", lab}, {"nodes", memory->nodes.size()}, {"source", memory->source_path}});
    } else {
      std::printf("%-24s %6zu  %s\n", lab.c_str(), memory->nodes.size(),
                  memory->source_path.empty() ? "(state dir missing)" : memory->source_path.c_str());
    }
  }
  if (g.json) std::printf("%s\n", out.dump(2).c_str());
  else if (labs->empty() && !g.quiet) std::printf("no labs are up\n");
  return 0;
}

} // namespace

void add_list(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("list", "List the labs that are up");
  cmd->footer("NODES counts the namespaces the lab uses (host and external nodes included when the file names them).\n"
              "Exit: 0 listed (also when no lab is up), 1 failure.");
  cmd->callback([&g] { g.exit_code = run_list(g); });
}

} // namespace netlab::app
