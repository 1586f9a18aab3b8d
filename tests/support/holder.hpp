#pragma once
// A child process that enters namespaces of its own and holds them while a test
// runs, the way a container runtime's process holds its namespaces: the
// external-node tests' "container", the multi-host tests' simulated machines.
#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nltest {

/// A forked child that runs `setup` (unshare, mounts) and then waits to be killed. The
/// namespaces exist before the constructor returns; they go with the child, which stop()
/// or the destructor kills, and the kernel too if the test dies first.
class NsHolder {
public:
  /// `setup` runs in the child; when it returns false the test fails here.
  explicit NsHolder(const std::function<bool()>& setup) {
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    m_pid = ::fork();
    REQUIRE(m_pid >= 0);
    if (m_pid == 0) {
      // Gone with the test, also when a REQUIRE throws before a destructor exists
      // to kill it (an orphan holder keeps the test's stdout pipe open).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::close(ready[0]);
      char c = setup() ? 'y' : 'n';
      (void)!::write(ready[1], &c, 1);
      ::close(ready[1]);
      for (;;)
        ::pause();
    }
    ::close(ready[1]);
    char c = 0;
    bool started = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    if (c != 'y') stop();
    REQUIRE(started);
    REQUIRE(c == 'y');
  }
  NsHolder(const NsHolder&) = delete;
  NsHolder& operator=(const NsHolder&) = delete;
  ~NsHolder() { stop(); }

  /// Ends the child; its namespaces go with it (when nothing else holds them).
  void stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }
  /// The child's pid, as text for /proc paths and nsenter -t.
  std::string pid() const { return std::to_string(m_pid); }

private:
  pid_t m_pid = -1;
};

} // namespace nltest
