// `netlab exec NODE [-f FILE] -- CMD...`: run a command inside a node's namespace.
// The process enters the namespace itself and execs CMD, so CMD's exit code is ours.
#include "common.hpp"

#include <netlab/check/enter.hpp>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

namespace netlab::app {

namespace {

struct ExecOptions {
  std::string node;
  std::string file;
  std::vector<std::string> command;
};

/// 127 when the command does not exist, 126 when it cannot run (shell convention).
int exec_failed(const std::string& command, int err) {
  report_error("cannot run '" + command + "': " + errno_text(err));
  return err == ENOENT ? 127 : 126;
}

int exec_in_node(const ExecOptions& o) {
  auto target = enter_node_for_command(o.node, o.file);
  if (!target) return report(target.error());
  std::vector<char*> argv;
  for (const auto& arg : o.command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp(argv[0], argv.data());
  return exec_failed(o.command.front(), errno);
}

} // namespace

void add_exec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("exec", "Run a command inside a node's namespace: exec NODE [-f FILE] -- CMD...");
  auto o = std::make_shared<ExecOptions>();
  cmd->add_option("-f,--file", o->file, "Topology file: resolve NODE through it (host and external nodes work)");
  cmd->add_option("node", o->node, "Node name (a name in /run/netns without -f)")->required();
  cmd->add_option("command", o->command, "The command (words after NODE; use -- before options of the command)");
  cmd->footer("Everything after -- is the command, passed as is.\n"
              "Example: netlab exec ns1 -- ip -br addr\n"
              "Exit: the command's own; 127 it does not exist, 126 it cannot run, 1 the node cannot be entered,\n"
              "2 bad usage.");
  cmd->callback([&g, o] {
    if (o->command.empty()) {
      report_error("exec: no command given (netlab exec NODE -- CMD...)");
      g.exit_code = static_cast<int>(ExitCode::usage);
      return;
    }
    g.exit_code = exec_in_node(*o);
  });
}

} // namespace netlab::app
