#include "common.hpp"

#include <netlab/topology/graph.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace netlab::app {
namespace {

struct GraphArgs {
  std::string file;
  std::string format = "mermaid";
};

/// `graph --json`: the lab's nodes, their interfaces and the links, as data.
nlohmann::json graph_json(const Topology& t) {
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& n : t.nodes) {
    nlohmann::json ifaces = nlohmann::json::array();
    for (const auto& i : n.interfaces) {
      nlohmann::json j{{"name", i.name}, {"kind", std::string(to_string(i.kind))}};
      if (i.master) j["master"] = *i.master;
      j["addresses"] = nlohmann::json::array();
      for (const auto& a : i.addresses) j["addresses"].push_back(a.str());
      ifaces.push_back(j);
    }
    nodes.push_back({{"name", n.name}, {"kind", std::string(to_string(n.kind))}, {"interfaces", ifaces}});
  }
  for (const auto& l : t.links)
    links.push_back(
        {{"a", {{"node", l.a.node}, {"name", l.a.iface}}}, {"b", {{"node", l.b.node}, {"name", l.b.iface}}}});
  return {{"lab", t.name}, {"nodes", nodes}, {"links", links}};
}

int run_graph(const GraphArgs& args, Globals& g) {
  auto topo = load_topology(args.file, g); // prints "FILE:LINE:COL: message" lines, as compilers do
  if (!topo) return g.exit_code;
  if (g.json) {
    nlohmann::json doc = graph_json(*topo);
    doc["format"] = args.format;
    doc["text"] = args.format == "dot" ? render_dot(*topo) : render_mermaid(*topo);
    print_json(doc);
    return static_cast<int>(ExitCode::ok);
  }
  std::string text = args.format == "dot" ? render_dot(*topo) : render_mermaid(*topo);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return static_cast<int>(ExitCode::ok);
}

} // namespace

void add_graph(CLI::App& app, Globals& g) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Print a picture of the lab as Mermaid or Graphviz DOT");
  cmd->add_option("FILE", args->file, "Topology file")->required();
  cmd->add_option("--format", args->format, "mermaid (default) or dot (render: dot -Tpng)")
      ->check(CLI::IsMember({"mermaid", "dot"}));
  cmd->footer("Needs no privileges: only the file is read.\nExit: 0 printed, 2 invalid file.");
  cmd->callback([&g, args] { g.exit_code = run_graph(*args, g); });
}

} // namespace netlab::app
