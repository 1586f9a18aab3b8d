#include "commands.hpp"

namespace netlab::app {

void add_down(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("down", "(down: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'down' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
