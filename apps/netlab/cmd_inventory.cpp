// `netlab inventory FILE [--json]`: the Ansible inventory of a multi-host lab's
// machines (its `hosts:` section), for the playbook in contrib/ansible/.
#include "common.hpp"

#include <netlab/topology/multihost.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace netlab::app {

namespace {

/// The form `ansible-inventory --list` prints and an inventory script returns:
/// every top-level key but `_meta` is a group, so no "schema_version" here.
nlohmann::json inventory_json(const Topology& topo) {
  nlohmann::json hostvars = nlohmann::json::object();
  nlohmann::json names = nlohmann::json::array();
  for (const LabMachine& m : topo.hosts) {
    nlohmann::json vars = nlohmann::json::object();
    for (const auto& [key, value] : m.vars) vars[key] = value;
    vars["netlab_underlay"] = m.underlay.str();
    hostvars[m.name] = std::move(vars);
    names.push_back(m.name);
  }
  return {{"_meta", {{"hostvars", hostvars}}},
          {"all", {{"children", {"ungrouped", "netlab"}}}},
          {"ungrouped", {{"hosts", nlohmann::json::array()}}},
          {"netlab",
           {{"hosts", names}, {"vars", {{"netlab_lab", topo.name}, {"netlab_vxlan_port", topo.vxlan_port}}}}}};
}

int run_inventory(const std::string& file, Globals& g) {
  auto topo = load_topology(file, g);
  if (!topo) return g.exit_code;
  if (topo->hosts.empty()) {
    const std::string message = "lab '" + topo->name + "' names no machines (no 'hosts:' section): it runs on one";
    report_error(message);
    return static_cast<int>(ExitCode::usage);
  }
  if (g.json)
    std::printf("%s\n", inventory_json(*topo).dump(2).c_str());
  else
    std::printf("%s", inventory_yaml(*topo).c_str());
  return 0;
}

} // namespace

void add_inventory(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("inventory", "Print the Ansible inventory of FILE's machines (its hosts: section)");
  auto file = std::make_shared<std::string>();
  cmd->add_option("FILE", *file, "Topology file")->required();
  cmd->footer("With --json: the JSON form ansible-inventory --list prints (no schema_version: every top-level key "
              "of it is a group).\nExit status: 0 printed, 2 invalid file or no hosts: section.");
  cmd->callback([&g, file] { g.exit_code = run_inventory(*file, g); });
}

} // namespace netlab::app
