#include "commands.hpp"

namespace netlab::app {

void add_status(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("status", "(status: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'status' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
