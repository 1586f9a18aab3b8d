#include "commands.hpp"

namespace netlab::app {

void add_graph(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("graph", "(graph: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'graph' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
