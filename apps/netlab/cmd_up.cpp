#include "commands.hpp"

namespace netlab::app {

void add_up(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("up", "(up: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'up' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
