#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/topology/instance.hpp>
#include <netlab/util/escape.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab::app {

namespace {

int run_list(Globals& g) {
  auto kernel = make_netlink_kernel();
  std::vector<std::string> ignored;
  auto labs = discover_labs(*kernel, &ignored);
  if (!labs) return report(labs.error());
  if (g.verbose > 0 && !g.json)
    for (const auto& i : ignored)
      std::fprintf(stderr, "netlab: %s\n", i.c_str());
  nlohmann::json out = nlohmann::json::array();
  if (!g.json && !labs->empty()) std::printf("%-24s %6s  %s\n", "LAB", "NODES", "SOURCE");
  for (const auto& lab : *labs) {
    // One lab's broken (or hostile) state must not hide the others.
    auto memory = discover_lab_nodes(*kernel, lab);
    std::string problem = memory ? "" : memory.error().message;
    std::size_t nodes = memory ? memory->nodes.size() : 0;
    std::string source = memory ? memory->source_path : "";
    if (g.json) {
      nlohmann::json entry{{"lab", lab}, {"nodes", nodes}, {"source", source}, {"instance", instance_of(lab)}};
      if (!problem.empty()) entry["error"] = problem;
      out.push_back(std::move(entry));
      continue;
    }
    std::string what = !problem.empty() ? "(state unreadable: " + problem + ")"
                       : source.empty() ? "(state dir missing)"
                                        : source;
    std::printf("%-24s %6s  %s\n", escape_for_terminal(lab).c_str(), memory ? std::to_string(nodes).c_str() : "?",
                escape_for_terminal(what).c_str());
  }
  // Shared host objects (shared: true) outlive every lab: named apart, since no down removes them.
  auto shared = discover_shared(*kernel);
  if (!shared) return report(shared.error());
  if (g.json) {
    nlohmann::json objects = nlohmann::json::array();
    for (const auto& l : *shared) objects.push_back({{"name", l.name}, {"kind", std::string(to_string(l.kind))}});
    print_json({{"labs", out}, {"shared", objects}});
    return 0;
  }
  if (labs->empty() && !g.quiet) std::printf("no labs are up\n");
  if (!shared->empty() && !g.quiet) {
    std::printf("shared host objects (no lab's; no down removes them, 'ip link del NAME' does):\n");
    for (const auto& l : *shared)
      std::printf("  %s %s\n", std::string(to_string(l.kind)).c_str(), escape_for_terminal(l.name).c_str());
  }
  return 0;
}

} // namespace

void add_list(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("list", "List the labs that are up");
  cmd->footer("An instance (up --instance NAME) is listed as LAB@NAME.\n"
              "NODES counts the namespaces the lab uses (host and external nodes included when the file names them).\n"
              "Host objects labs share (shared: true) are listed after the labs: no down removes them.\n"
              "Exit: 0 listed (also when no lab is up), 1 failure.");
  cmd->callback([&g] { g.exit_code = run_list(g); });
}

} // namespace netlab::app
