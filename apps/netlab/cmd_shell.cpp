#include "commands.hpp"

namespace netlab::app {

void add_shell(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("shell", "(shell: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'shell' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
