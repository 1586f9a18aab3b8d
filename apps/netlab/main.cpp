#include "commands.hpp"
#include "common.hpp"
#include "version.hpp"

#include <netlab/util/error.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string_view>

using namespace netlab::app;

namespace netlab::app {
void report_error(const std::string& message) {
  note_error(message);
  std::fprintf(stderr, "netlab: %s\n", message.c_str());
}
} // namespace netlab::app

int main(int argc, char** argv) {
  CLI::App app{"netlab: Linux network labs from a YAML file, reconciled over netlink"};
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  app.fallthrough();
  Globals g;
  app.add_flag("--json", g.json, "Machine-readable output");
  app.add_flag("-v,--verbose", g.verbose, "More detail (repeatable)");
  app.add_flag("-q,--quiet", g.quiet, "Only errors");

  add_validate(app, g);
  add_graph(app, g);
  add_up(app, g);
  add_plan(app, g);
  add_down(app, g);
  add_status(app, g);
  add_list(app, g);
  add_test(app, g);
  add_exec(app, g);
  add_shell(app, g);

  int cli_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--") continue;
    g.passthrough.assign(argv + i + 1, argv + argc);
    cli_argc = i;
    break;
  }
  // --json before CLI11 has read it: a command line it refuses is answered in JSON too.
  const bool json = std::find(argv + 1, argv + cli_argc, std::string_view("--json")) != argv + cli_argc;
  try {
    app.parse(cli_argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc != 0) note_error(e.what());
    return finish_json(json, rc == 0 ? 0 : static_cast<int>(netlab::ExitCode::usage));
  } catch (const std::exception& e) {
    report_error(e.what());
    return finish_json(json, static_cast<int>(netlab::ExitCode::failure));
  }
  return finish_json(g.json, g.exit_code);
}
