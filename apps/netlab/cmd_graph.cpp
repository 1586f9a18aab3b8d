#include "common.hpp"

#include <netlab/topology/graph.hpp>
#include <netlab/topology/graph_image.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace netlab::app {
namespace {

struct GraphArgs {
  std::string file;
  std::string format = "mermaid";
  std::string output; ///< -o FILE; empty: stdout
};

/// The picture in `format`: Mermaid and DOT are text netlab writes itself,
/// svg/png/html come from Graphviz's library.
Expected<std::string> picture(const Topology& t, const std::string& format) {
  if (format == "mermaid") return render_mermaid(t);
  if (format == "dot") return render_dot(t);
  return render_image(t, *parse_image_format(format));
}

bool binary_format(const std::string& format) {
  auto f = parse_image_format(format);
  return f && is_binary(*f);
}

/// Writes `bytes` to `path` (replacing it), or to stdout when `path` is empty.
Expected<void> write_out(const std::string& path, const std::string& bytes) {
  if (path.empty()) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0)
      return fail(errno_text(errno));
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail("cannot write " + path + ": " + errno_text(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return fail("cannot write " + path + ": " + errno_text(errno));
  return {};
}

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
  bool binary = binary_format(args.format);
  if (binary && g.json)
    return report(Error{"--json carries the picture as text: " + args.format + " is binary (write it with -o FILE)", ExitCode::usage});
  if (binary && args.output.empty() && isatty(STDOUT_FILENO))
    return report(Error{args.format + " is binary and stdout is a terminal: write it with -o FILE or redirect stdout", ExitCode::usage});
  auto topo = load_topology(args.file, g); // prints "FILE:LINE:COL: message" lines, as compilers do
  if (!topo) return g.exit_code;
  auto text = picture(*topo, args.format);
  if (!text) return report(text.error());
  if (g.json) {
    nlohmann::json doc = graph_json(*topo);
    doc["format"] = args.format;
    doc["text"] = *text;
    if (!args.output.empty()) {
      if (auto w = write_out(args.output, *text); !w) return report(w.error());
      doc["output"] = args.output;
    }
    print_json(doc);
    return static_cast<int>(ExitCode::ok);
  }
  if (auto w = write_out(args.output, *text); !w) return report(w.error());
  return static_cast<int>(ExitCode::ok);
}

} // namespace

void add_graph(CLI::App& app, Globals& g) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Draw the lab: Mermaid or DOT text, or an SVG, PNG or HTML picture");
  cmd->add_option("FILE", args->file, "Topology file")->required();
  add_instance_flag(cmd, g);
  cmd->add_option("--format", args->format,
                  "mermaid (default), dot, or a picture laid out by Graphviz: svg, png, html (one page)")
      ->check(CLI::IsMember({"mermaid", "dot", "svg", "png", "html"}));
  cmd->add_option("-o,--output", args->output, "Write to this file instead of stdout (png needs it on a terminal)");
  cmd->footer("Needs no privileges: only the file is read.\nExit: 0 drawn, 1 cannot write or render, 2 invalid file or "
              "arguments.");
  cmd->callback([&g, args] { g.exit_code = run_graph(*args, g); });
}

} // namespace netlab::app
