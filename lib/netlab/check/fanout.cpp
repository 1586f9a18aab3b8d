#include <netlab/check/fanout.hpp>
#include <netlab/util/fd.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace netlab {

std::string LinePrefixer::feed(std::string_view bytes) {
  std::string out;
  for (;;) {
    const auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) break;
    out += m_prefix;
    out += m_partial;
    out.append(bytes.substr(0, nl + 1));
    m_partial.clear();
    bytes.remove_prefix(nl + 1);
  }
  m_partial.append(bytes);
  return out;
}

std::string LinePrefixer::finish() {
  if (m_partial.empty()) return {};
  std::string out = m_prefix + m_partial + "\n";
  m_partial.clear();
  return out;
}

namespace {

/// A child running the command in one node, its two pipes still open.
struct Child {
  pid_t pid = -1;
  struct Stream {
    int fd = -1; ///< read end; -1 once at EOF
    int to = -1; ///< where its lines go
    LinePrefixer lines;
  };
  std::vector<Stream> streams;
};

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; // the reader went away: the output is lost, the exit codes still count
    done += static_cast<size_t>(n);
  }
}

/// In the child: enter the node, exec; never returns.
[[noreturn]] void exec_child(const NodeTarget& node, const std::vector<std::string>& argv, int out, int err) {
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  ::signal(SIGPIPE, SIG_DFL);
  if (auto entered = enter_node(node); !entered) {
    const std::string msg = "netlab: " + entered.error().message + "\n";
    write_all(STDERR_FILENO, msg);
    ::_exit(1);
  }
  export_node_env(node);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  const int e = errno;
  write_all(STDERR_FILENO, "netlab: cannot run '" + argv.front() + "': " + errno_text(e) + "\n");
  ::_exit(e == ENOENT ? 127 : 126);
}

Expected<Child> start(const NodeTarget& node, const std::vector<std::string>& argv, int out_fd, int err_fd) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return fail("pipe: " + errno_text(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(out[0]);
    ::close(out[1]);
    return fail("pipe: " + errno_text(e));
  }
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(node, argv, out[1], err[1]);
  const int e = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return fail("fork: " + errno_text(e));
  }
  const std::string prefix = node.ref.node + ": ";
  Child c{pid, {}};
  c.streams.push_back({out[0], out_fd, LinePrefixer(prefix)});
  c.streams.push_back({err[0], err_fd, LinePrefixer(prefix)});
  return c;
}

/// Copies the children's output, line by line, until every pipe is at EOF.
void pump(std::vector<Child>& children) {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<Child::Stream*> of;
    for (auto& c : children)
      for (auto& s : c.streams)
        if (s.fd >= 0) {
          fds.push_back({s.fd, POLLIN, 0});
          of.push_back(&s);
        }
    if (fds.empty()) return;
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      char buf[8192];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      Child::Stream& s = *of[i];
      if (n > 0) {
        write_all(s.to, s.lines.feed({buf, static_cast<size_t>(n)}));
        continue;
      }
      write_all(s.to, s.lines.finish());
      ::close(s.fd);
      s.fd = -1;
    }
  }
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

} // namespace

Expected<int> run_in_nodes(const std::vector<NodeTarget>& nodes, const std::vector<std::string>& argv,
                           Parallel parallel, int out_fd, int err_fd) {
  if (argv.empty()) return fail("no command given", ExitCode::usage);
  int worst = 0;
  auto finish = [&](std::vector<Child>& running) {
    pump(running);
    for (const auto& c : running)
      worst = std::max(worst, wait_exit_code(c.pid));
    running.clear();
  };
  std::vector<Child> running;
  for (const auto& node : nodes) {
    auto child = start(node, argv, out_fd, err_fd);
    if (!child) {
      finish(running);
      return std::unexpected(child.error());
    }
    running.push_back(std::move(*child));
    if (parallel == Parallel::no) finish(running);
  }
  finish(running);
  return worst;
}

} // namespace netlab
