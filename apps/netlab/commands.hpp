#pragma once
// One registration function per verb; each lives in cmd_<verb>.cpp and its
// callback stores the exit code in Globals::exit_code.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace netlab::app {

/// Flags shared by every verb, filled by CLI11 before a callback runs.
struct Globals {
  bool json = false;    ///< machine-readable output on stdout
  int verbose = 0;      ///< -v count
  bool quiet = false;   ///< only errors
  std::string color = "auto"; ///< --color: auto, always or never
  bool paint = false;   ///< colour stdout (from --color, NO_COLOR and whether stdout is a terminal)
  bool tty = false;     ///< stdout is a terminal
  int exit_code = 0;    ///< set by the verb's callback
  double wait_seconds = -1; ///< --wait: how long to wait for a lock (< 0: for ever)
  bool no_wait = false;     ///< --no-wait: fail at once when a lock is held
  bool host_netns = false;  ///< --host-netns: work on a lab from another namespace than its `up` ran in
  std::string instance;     ///< -i/--instance NAME, or the part of -l LAB after '@': load_topology makes that instance
  /// --host NAME: the machine whose part of a multi-host lab the verb works on (docs/multi-host.md)
  std::string host;
  bool takes_host = false;  ///< the verb has --host: load_topology cuts the file to one machine's part
};

void add_validate(CLI::App& app, Globals& g);
void add_graph(CLI::App& app, Globals& g);
void add_up(CLI::App& app, Globals& g);
void add_plan(CLI::App& app, Globals& g);
void add_down(CLI::App& app, Globals& g);
void add_status(CLI::App& app, Globals& g);
void add_list(CLI::App& app, Globals& g);
void add_test(CLI::App& app, Globals& g);
void add_exec(CLI::App& app, Globals& g);
void add_shell(CLI::App& app, Globals& g);
void add_capture(CLI::App& app, Globals& g);
void add_watch(CLI::App& app, Globals& g);
void add_export(CLI::App& app, Globals& g);
void add_exercise(CLI::App& app, Globals& g);
void add_inventory(CLI::App& app, Globals& g);

/// What `netlab watch FILE` (and `netlab up --watch FILE`) is asked to do.
struct WatchCliOptions {
  std::string file;
  bool no_heal = false;          ///< only report drift
  bool down_on_exit = false;     ///< take the lab down when the watcher stops
  unsigned resync_seconds = 60;  ///< full re-read period, 0: never
  bool explain = false;
};
/// Brings the lab up, then watches it (cmd_watch.cpp); returns the exit code.
int run_watch(const WatchCliOptions& o, Globals& g);

/// Prints an error once, as "netlab: message" on stderr.
void report_error(const std::string& message);

} // namespace netlab::app
