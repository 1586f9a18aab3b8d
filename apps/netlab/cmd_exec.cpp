// `netlab exec NODE [-f FILE] -- CMD...`: run a command inside a node's namespace.
// The process enters the namespace itself and execs CMD, so CMD's exit code is ours.
// `--all` / `--nodes A,B` run CMD in several nodes (lib/netlab/check/fanout), each
// output line prefixed with its node, the exit code the worst of them.
#include "common.hpp"

#include <netlab/topology/instance.hpp>

#include <netlab/apply/state_store.hpp>
#include <netlab/check/enter.hpp>
#include <netlab/check/fanout.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <unistd.h>
#include <vector>

namespace netlab::app {

namespace {

struct ExecOptions {
  std::string node;
  std::string file;
  std::string lab;
  std::vector<std::string> command;
  bool all = false;
  std::vector<std::string> nodes;
  bool parallel = false;
  std::string instance; ///< -i, or -l LAB's part after '@'
};

/// 127 when the command does not exist, 126 when it cannot run (shell convention).
int exec_failed(const std::string& command, int err) {
  report_error("cannot run '" + command + "': " + errno_text(err));
  return err == ENOENT ? 127 : 126;
}

int exec_in_node(const ExecOptions& o) {
  auto target = enter_node_for_command(o.node, o.file, o.instance);
  if (!target) return report(target.error());
  std::vector<char*> argv;
  for (const auto& arg : o.command)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  ::execvp(argv[0], argv.data());
  return exec_failed(o.command.front(), errno);
}

/// The topology file of -f FILE, or of -l LAB (its copy in the state dir); "" for neither.
Expected<std::string> file_for(const ExecOptions& o) {
  if (o.lab.empty()) return o.file;
  return lab_copy_path(o.lab);
}

/// The nodes of --all (every node of the file but the host) or --nodes.
Expected<std::vector<NodeTarget>> fanout_targets(const ExecOptions& o, const std::string& file) {
  std::vector<NodeTarget> out;
  if (o.all && file.empty()) return fail("exec --all needs the lab: -f FILE or -l LAB", ExitCode::usage);
  if (!file.empty()) {
    auto topo = load_instance(file, o.instance);
    if (!topo) return fail(topo.error(), ExitCode::usage);
    if (o.all) {
      for (const auto& n : topo->nodes)
        if (n.kind != NodeKind::host) out.push_back(*node_in_topology(*topo, n.name));
      return out;
    }
    for (const auto& name : o.nodes) {
      auto t = node_in_topology(*topo, name);
      if (!t) return std::unexpected(t.error());
      out.push_back(*t);
    }
    return out;
  }
  for (const auto& name : o.nodes) {
    auto t = node_by_netns_name(name);
    if (!t) return std::unexpected(t.error());
    out.push_back(*t);
  }
  return out;
}

int exec_in_nodes(const ExecOptions& o) {
  auto file = file_for(o);
  if (!file) return report(file.error());
  auto targets = fanout_targets(o, *file);
  if (!targets) return report(targets.error());
  std::fflush(nullptr);
  auto worst =
      run_in_nodes(*targets, o.command, o.parallel ? Parallel::yes : Parallel::no, STDOUT_FILENO, STDERR_FILENO);
  if (!worst) return report(worst.error());
  return *worst;
}

int run_exec(ExecOptions o, Globals& g) {
  const bool many = o.all || !o.nodes.empty();
  if (many && !o.node.empty()) o.command.insert(o.command.begin(), o.node); // no NODE: the first word is CMD's
  if (!many && o.node.empty()) {
    report_error("exec: no node given (netlab exec NODE -- CMD..., or --all / --nodes A,B)");
    return static_cast<int>(ExitCode::usage);
  }
  if (o.command.empty()) {
    report_error("exec: no command given (netlab exec NODE -- CMD...)");
    return static_cast<int>(ExitCode::usage);
  }
  if (o.parallel && !many) {
    report_error("exec: --parallel goes with --all or --nodes");
    return static_cast<int>(ExitCode::usage);
  }
  if (!o.lab.empty() && !o.file.empty()) {
    report_error("exec: give -f FILE or -l LAB, not both");
    return static_cast<int>(ExitCode::usage);
  }
  if (auto ok = instance_from_lab(o.lab, g); !ok) return report(ok.error());
  o.instance = g.instance;
  if (!many && !o.lab.empty()) {
    auto file = file_for(o);
    if (!file) return report(file.error());
    o.file = *file;
  }
  return many ? exec_in_nodes(o) : exec_in_node(o);
}

} // namespace

void add_exec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "exec", "Run a command inside a node's namespace: exec NODE [-f FILE] -- CMD..., or in several (--all, --nodes)");
  auto o = std::make_shared<ExecOptions>();
  cmd->add_option("-f,--file", o->file, "Topology file: resolve NODE through it (host and external nodes work)");
  cmd->add_option("-l,--lab", o->lab, "Lab name: resolve NODE through the copy of its file in /run/netlab/LAB");
  add_instance_flag(cmd, g);
  cmd->add_option("node", o->node, "Node name (a name in /run/netns without -f, else the file's name); none with --all or --nodes");
  cmd->add_option("command", o->command, "The command (words after NODE; use -- before options of the command)");
  auto* all = cmd->add_flag("--all", o->all, "Run in every node of the lab (-f FILE or -l LAB) but the host, in order");
  // One word, split here: a vector option would also swallow the words after it.
  cmd->add_option_function<std::string>(
         "--nodes",
         [o](const std::string& list) {
           for (size_t start = 0; start <= list.size();) {
             const size_t comma = std::min(list.find(',', start), list.size());
             if (comma > start) o->nodes.push_back(list.substr(start, comma - start));
             start = comma + 1;
           }
         },
         "Run in these nodes, in this order")
      ->type_name("A,B,...")
      ->excludes(all);
  cmd->add_flag("--parallel", o->parallel, "With --all or --nodes: run in all the nodes at once");
  cmd->footer("Everything after -- is the command, passed as is.\n"
              "Example: netlab exec ns1 -- ip -br addr\n"
              "With --all or --nodes each output line starts with 'NODE: ' (whole lines, also with --parallel).\n"
              "Example: netlab exec -l veth-pair --all -- ip -br addr\n"
              "Exit: the command's own (with several nodes the highest); 127 it does not exist, 126 it cannot run,\n"
              "1 the node cannot be entered, 2 bad usage.");
  cmd->callback([&g, o] { g.exit_code = run_exec(*o, g); });
}

} // namespace netlab::app
