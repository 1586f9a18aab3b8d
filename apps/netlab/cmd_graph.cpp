#include "commands.hpp"

#include <netlab/topology/graph.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <cstdio>
#include <memory>

namespace netlab::app {
namespace {

struct GraphArgs {
  std::string file;
  std::string format = "mermaid";
};

int run_graph(const GraphArgs& args) {
  auto topo = load_and_validate(args.file);
  if (!topo) {
    // Diagnostics are already "FILE:LINE:COL: message" lines, as compilers print them.
    std::fprintf(stderr, "%s\n", topo.error().c_str());
    return static_cast<int>(ExitCode::usage);
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
  cmd->callback([&g, args] { g.exit_code = run_graph(*args); });
}

} // namespace netlab::app
