#include "commands.hpp"

namespace netlab::app {

void add_list(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("list", "(list: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'list' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
