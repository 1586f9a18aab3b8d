#include "commands.hpp"
#include "common.hpp"
#include "version.hpp"

#include <netlab/report/terminal.hpp>
#include <netlab/util/caps.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/log.hpp>
#include <netlab/util/suggest.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>
#include <unistd.h>

using namespace netlab::app;

namespace netlab::app {

void report_error(const std::string& message) {
  note_error(message);
  std::fprintf(stderr, "netlab: %s\n", message.c_str());
}

namespace {

/// Thrown before any verb runs when it lacks the privileges it needs.
struct Refused {};

/// Verbs that work unprivileged: they read only the file (graph --serve reads the kernel).
bool unprivileged(const CLI::App& verb) {
  const std::string& name = verb.get_name();
  return name == "validate" || (name == "graph" && verb.count("--serve") == 0);
}

/// --json, -v, -q and --color on `cmd`: given before or after the verb, they mean the same.
void add_common_flags(CLI::App& cmd, Globals& g) {
  cmd.add_flag("--json", g.json, "Machine-readable output on stdout (errors stay on stderr)");
  cmd.add_flag_function(
      "-v,--verbose", [&g](std::int64_t n) { g.verbose += static_cast<int>(n); },
      "Log each kernel request and its result with timings to stderr; -vv also what was read");
  cmd.add_flag("-q,--quiet", g.quiet, "Only errors");
  cmd.add_option("--color", g.color, "Colour the output: auto (a terminal without NO_COLOR), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

std::vector<std::string_view> verb_names(const CLI::App& app) {
  std::vector<std::string_view> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

/// Index in argv of the verb: the first word that is not a global flag (0 if none).
int verb_index(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return 0;
    if (a == "--color") {
      ++i;
      continue;
    }
    if (!a.starts_with('-')) return i;
  }
  return 0;
}

/// "unknown command 'stauts'; did you mean 'status'?" (exit 2) for a word that names no verb.
bool unknown_verb(const CLI::App& app, std::string_view word) {
  auto names = verb_names(app);
  if (std::ranges::find(names, word) != names.end()) return false;
  auto close = closest_match(word, names);
  report_error("unknown command '" + std::string(word) + "'" + (close ? "; did you mean '" + *close + "'?" : "") +
               "\n(netlab --help lists the commands)");
  return true;
}

/// Names the unexpected argument of an ExtrasError and the option it may have meant.
int report_extras(CLI::App& app) {
  CLI::App* verb = app.get_subcommands().empty() ? &app : app.get_subcommands().front();
  std::string where = verb == &app ? "netlab" : "netlab " + verb->get_name();
  std::vector<std::string> extras = app.remaining(true);
  std::string word = extras.empty() ? "?" : extras.front();
  if (!word.starts_with('-')) {
    report_error("unexpected argument '" + word + "' for '" + where + "'\n(" + where + " --help shows its usage)");
    return static_cast<int>(netlab::ExitCode::usage);
  }
  std::string flag = word.substr(0, word.find('='));
  std::vector<std::string> names;
  // Long options only: every one-letter flag is within two edits of a short typo.
  if (flag.starts_with("--"))
    for (const auto* o : verb->get_options())
      for (const auto& l : o->get_lnames())
        names.push_back("--" + l);
  std::vector<std::string_view> views(names.begin(), names.end());
  auto close = closest_match(flag, views);
  const bool exec = verb->get_name() == "exec";
  report_error("unknown option '" + flag + "' for '" + where + "'" + (close ? "; did you mean '" + *close + "'?" : "") +
               (exec ? "\n(a command's own options go after --: netlab exec NODE -- CMD...)"
                     : "\n(" + where + " --help lists its options)"));
  return static_cast<int>(netlab::ExitCode::usage);
}

/// Once the command line is read, before the verb runs: logging, colour, privileges.
void prepare(CLI::App& app, Globals& g) {
  set_log_level(g.quiet          ? LogLevel::error
                : g.verbose >= 2 ? LogLevel::trace
                : g.verbose == 1 ? LogLevel::debug
                                 : LogLevel::warn);
  g.paint = use_color(parse_color_mode(g.color), ::isatty(STDOUT_FILENO) != 0, std::getenv("NO_COLOR"));
  g.tty = ::isatty(STDOUT_FILENO) != 0;
  for (const auto* verb : app.get_subcommands()) {
    if (unprivileged(*verb) || has_admin_capabilities()) continue;
    report_error("netlab " + verb->get_name() + " needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)");
    throw Refused{};
  }
}

} // namespace

} // namespace netlab::app

int main(int argc, char** argv) {
  CLI::App app{"netlab: Linux network labs from a YAML file, reconciled over netlink", "netlab"};
  app.set_version_flag("--version", version_line());
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("netlab help VERB (or netlab VERB --help) shows a verb's options and exit codes.\n"
             "Exit codes: 0 success, 1 runtime failure, 2 bad usage or invalid file, 3 drift (status) or a failed "
             "check (test).");
  Globals g;
  add_common_flags(app, g);

  add_validate(app, g);
  add_graph(app, g);
  add_up(app, g);
  add_plan(app, g);
  add_down(app, g);
  add_status(app, g);
  add_list(app, g);
  add_test(app, g);
  add_exercise(app, g);
  add_exec(app, g);
  add_shell(app, g);
  add_watch(app, g);
  add_capture(app, g);
  add_export(app, g);
  add_inventory(app, g);
  for (auto* verb : app.get_subcommands([](const CLI::App*) { return true; }))
    add_common_flags(*verb, g);
  app.parse_complete_callback([&] { prepare(app, g); });

  // `netlab help [VERB]` is `netlab [VERB] --help`.
  std::vector<std::string> args(argv, argv + argc);
  // --json before CLI11 has read it: a command line it refuses is answered in JSON too.
  const auto end_of_flags = std::ranges::find(args, "--");
  const bool json = std::find(args.begin(), end_of_flags, "--json") != end_of_flags;
  if (int v = verb_index(argc, argv); v > 0) {
    if (args[v] == "help") {
      args.erase(args.begin() + v);
      if (static_cast<int>(args.size()) > v && unknown_verb(app, args[v]))
        return finish_json(json, static_cast<int>(netlab::ExitCode::usage));
      args.insert(args.begin() + std::min<int>(v + 1, static_cast<int>(args.size())), "--help");
    } else if (unknown_verb(app, args[v])) {
      return finish_json(json, static_cast<int>(netlab::ExitCode::usage));
    }
  }
  std::vector<const char*> cargs;
  for (const auto& a : args)
    cargs.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ExtrasError&) {
    return finish_json(json, report_extras(app));
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    if (rc != 0) note_error(e.what());
    return finish_json(json, rc == 0 ? 0 : static_cast<int>(netlab::ExitCode::usage));
  } catch (const Refused&) {
    return finish_json(json, static_cast<int>(netlab::ExitCode::failure));
  } catch (const std::exception& e) {
    report_error(e.what());
    return finish_json(json, static_cast<int>(netlab::ExitCode::failure));
  }
  return finish_json(g.json, g.exit_code);
}
