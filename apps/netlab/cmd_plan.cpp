#include "commands.hpp"

namespace netlab::app {

void add_plan(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("plan", "(plan: not built yet)");
  cmd->allow_extras();
  cmd->callback([&g] {
    report_error("'plan' is not built yet");
    g.exit_code = 1;
  });
}

} // namespace netlab::app
