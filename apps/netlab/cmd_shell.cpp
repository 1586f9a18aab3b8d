// `netlab shell NODE [-f FILE]`: an interactive shell inside a node's namespace,
// its prompt naming the lab and node so students know where they are. bash and
// zsh still read the user's own rc files; the prompt is set after them.
#include "common.hpp"

#include <netlab/check/enter.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>
#include <vector>

namespace netlab::app {

namespace {

struct ShellOptions {
  std::string node;
  std::string file;
  std::string lab;
};

/// $SHELL when it can run, else bash, else sh.
std::string pick_shell() {
  const char* env = std::getenv("SHELL");
  if (env && *env && ::access(env, X_OK) == 0) return env;
  return ::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

bool named(const std::string& shell, const std::string& name) {
  return shell == name || shell.ends_with("/" + name);
}

/// "[netlab lab/ns1] ": only characters a prompt cannot expand ($, `, \ would run or escape).
std::string prompt_tag(const NodeTarget& t) {
  std::string where = t.lab.empty() ? t.ref.node : t.lab + "/" + t.ref.node;
  for (auto& c : where)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '/') c = '?';
  return "[netlab " + where + "] ";
}

/// `s` in single quotes for sh, bash and zsh.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// A new private temp file or dir (mkstemp/mkdtemp) named netlab-shell-*; "" on failure.
std::string make_temp(bool dir) {
  std::error_code ec;
  std::string tmpl = (std::filesystem::temp_directory_path(ec) / "netlab-shell-XXXXXX").string();
  if (dir) return ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return {};
  ::close(fd);
  return tmpl;
}

/// bash: --rcfile with a file that removes itself, reads ~/.bashrc, then sets PS1.
std::vector<std::string> bash_args(const std::string& shell, const std::string& tag) {
  std::string rc = make_temp(false);
  if (rc.empty()) return {shell, "--norc", "-i"};
  std::ofstream(rc) << "rm -f -- " << quoted(rc) << "\n"
                    << "[ -f ~/.bashrc ] && . ~/.bashrc\n"
                    << "PS1=" << quoted(tag) << "\"${PS1-\\\\w\\\\$ }\"\n";
  return {shell, "--rcfile", rc, "-i"};
}

/// zsh: ZDOTDIR names a temp dir whose .zshenv and .zshrc read the user's own
/// (from their ZDOTDIR or $HOME), restore ZDOTDIR, remove the dir and set PROMPT.
std::vector<std::string> zsh_args(const std::string& shell, const std::string& tag) {
  std::string dir = make_temp(true);
  if (dir.empty()) return {shell, "-i"};
  const char* user = std::getenv("ZDOTDIR");
  if (user) ::setenv("NETLAB_USER_ZDOTDIR", user, 1);
  const std::string restore = "if [ -n \"${NETLAB_USER_ZDOTDIR+x}\" ]; then ZDOTDIR=$NETLAB_USER_ZDOTDIR; "
                              "else unset ZDOTDIR; fi\n";
  std::ofstream(dir + "/.zshenv") << restore
                                  << "[ -f \"${ZDOTDIR:-$HOME}/.zshenv\" ] && . \"${ZDOTDIR:-$HOME}/.zshenv\"\n"
                                  << "ZDOTDIR=" << quoted(dir) << "\n";
  std::ofstream(dir + "/.zshrc") << restore << "unset NETLAB_USER_ZDOTDIR\n"
                                 << "rm -rf -- " << quoted(dir) << "\n"
                                 << "[ -f \"${ZDOTDIR:-$HOME}/.zshrc\" ] && . \"${ZDOTDIR:-$HOME}/.zshrc\"\n"
                                 << "PROMPT=" << quoted(tag) << "\"${PROMPT-%~%# }\"\n";
  ::setenv("ZDOTDIR", dir.c_str(), 1);
  return {shell, "-i"};
}

/// The lab that owns the namespace this process is in, from the tag on its lo
/// (read through /sys, which entering the node remounted): "" when untagged.
std::string lab_of_current_netns() {
  std::ifstream in("/sys/class/net/lo/ifalias");
  std::string alias;
  std::getline(in, alias);
  return alias.starts_with(k_owner_prefix) ? alias.substr(k_owner_prefix.size()) : std::string();
}

/// The first line a student sees in an interactive shell: which namespace this
/// is (its nsfs inode, as /proc/PID/ns/net shows it) and how to ask again.
void print_where(const NodeTarget& t) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO)) return;
  char ns[64] = {};
  if (::readlink("/proc/thread-self/ns/net", ns, sizeof ns - 1) < 0) return;
  std::string where = t.lab.empty() ? t.ref.node : t.ref.node + " of lab " + t.lab;
  std::fprintf(stderr, "netlab: a shell in %s, namespace %s; `ip netns identify` or `readlink /proc/self/ns/net` "
                       "says where you are, `exit` leaves\n", where.c_str(), ns);
}

int shell_in_node(ShellOptions o, Globals& g) {
  if (!o.lab.empty() && !o.file.empty()) {
    report_error("shell: give -f FILE or -l LAB, not both");
    return static_cast<int>(ExitCode::usage);
  }
  if (auto ok = instance_from_lab(o.lab, g); !ok) return report(ok.error());
  if (!o.lab.empty()) {
    auto copy = lab_copy_path(o.lab);
    if (!copy) return report(copy.error());
    o.file = *copy;
  }
  auto target = enter_node_for_command(o.node, o.file, g.instance);
  if (!target) return report(target.error());
  if (target->lab.empty() && target->ref.kind == NodeKind::netns) {
    target->lab = lab_of_current_netns();
    if (!target->lab.empty()) ::setenv("NETLAB_LAB", target->lab.c_str(), 1);
  }
  const std::string shell = pick_shell();
  const std::string tag = prompt_tag(*target);
  std::vector<std::string> args;
  if (named(shell, "bash")) {
    args = bash_args(shell, tag);
  } else if (named(shell, "zsh")) {
    args = zsh_args(shell, tag);
  } else {
    ::setenv("PS1", (tag + (::geteuid() == 0 ? "# " : "$ ")).c_str(), 1); // sh, dash: no rc file to keep
    args = {shell, "-i"};
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  print_where(*target);
  std::fflush(nullptr);
  ::execv(shell.c_str(), argv.data());
  int err = errno;
  report_error("cannot run '" + shell + "': " + errno_text(err));
  return err == ENOENT ? 127 : 126;
}

} // namespace

void add_shell(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("shell", "Open an interactive shell inside a node's namespace");
  auto o = std::make_shared<ShellOptions>();
  cmd->add_option("-f,--file", o->file, "Topology file: resolve NODE through it (host and external nodes work)");
  cmd->add_option("-l,--lab", o->lab, "Lab name: resolve NODE through the copy of its file in /run/netlab/LAB");
  add_instance_flag(cmd, g);
  cmd->add_option("node", o->node, "Node name (a name in /run/netns without -f or -l, else the file's name)")->required();
  cmd->footer("The prompt starts with [netlab LAB/NODE]; bash and zsh read your own rc files first.\n"
              "Exit: the shell's own; 1 the node cannot be entered, 2 bad usage.");
  cmd->callback([&g, o] { g.exit_code = shell_in_node(*o, g); });
}

} // namespace netlab::app
