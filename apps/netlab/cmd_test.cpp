#include "commands.hpp"

namespace netlab::app {

void add_test(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("test", "(test: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'test' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
