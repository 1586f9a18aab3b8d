#include "commands.hpp"

namespace netlab::app {

void add_exec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("exec", "(exec: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'exec' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
