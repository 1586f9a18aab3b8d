#include "commands.hpp"

namespace netlab::app {

void add_validate(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("validate", "(validate: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'validate' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
