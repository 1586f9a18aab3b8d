// `netlab shell NODE [-f FILE]`: an interactive shell inside a node's namespace,
// its prompt naming the lab and node so students know where they are.
#include "common.hpp"

#include <netlab/check/enter.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unistd.h>
#include <vector>

namespace netlab::app {

namespace {

struct ShellOptions {
  std::string node;
  std::string file;
};

/// $SHELL when it can run, else bash, else sh.
std::string pick_shell() {
  const char* env = std::getenv("SHELL");
  if (env && *env && ::access(env, X_OK) == 0) return env;
  return ::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

bool is_bash(const std::string& shell) { return shell == "bash" || shell.ends_with("/bash"); }

/// "[netlab lab/ns1] \w# " for bash; shells without bash escapes get no directory.
std::string prompt(const NodeTarget& t, bool bash) {
  std::string where = t.lab.empty() ? t.ref.node : t.lab + "/" + t.ref.node;
  std::string mark = ::geteuid() == 0 ? "# " : "$ ";
  return "[netlab " + where + "] " + (bash ? "\\w" : "") + mark;
}

int shell_in_node(const ShellOptions& o) {
  auto target = enter_node_for_command(o.node, o.file);
  if (!target) return report(target.error());
  std::string shell = pick_shell();
  bool bash = is_bash(shell);
  // --norc: a user's bashrc usually sets PS1 and would hide which node this is.
  ::setenv("PS1", prompt(*target, bash).c_str(), 1);
  std::vector<const char*> argv{shell.c_str()};
  if (bash) argv.push_back("--norc");
  argv.push_back("-i");
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execv(shell.c_str(), const_cast<char* const*>(argv.data()));
  int err = errno;
  report_error("cannot run '" + shell + "': " + errno_text(err));
  return err == ENOENT ? 127 : 126;
}

} // namespace

void add_shell(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("shell", "Open an interactive shell inside a node's namespace");
  auto o = std::make_shared<ShellOptions>();
  cmd->add_option("-f,--file", o->file, "Topology file: resolve NODE through it (host and external nodes work)");
  cmd->add_option("node", o->node, "Node name (a name in /run/netns without -f)")->required();
  cmd->callback([&g, o] { g.exit_code = shell_in_node(*o); });
}

} // namespace netlab::app
