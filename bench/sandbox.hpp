#pragma once
// The sandbox of tests/integration/sandbox_main.cpp, for the benchmark programs:
// new network + mount namespaces, / made rprivate, tmpfs on /run/netns and
// /run/netlab, lo up. Nothing created afterwards is visible on the machine, and
// all of it vanishes when the process exits.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netlab::bench {

/// Prints "PROGRAM: what: errno text" and exits 1.
[[noreturn]] inline void die_errno(const char* program, const char* what) {
  std::fprintf(stderr, "%s: %s: %s\n", program, what, std::strerror(errno));
  std::exit(1);
}

inline void loopback_up() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  close(fd);
}

/// Enters the sandbox, or exits 1 (also when not root: nothing is tried then).
inline void enter_sandbox(const char* program) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "%s: needs root (it creates namespaces, inside a private sandbox)\n", program);
    std::exit(1);
  }
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) die_errno(program, "unshare(CLONE_NEWNET|CLONE_NEWNS)");
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die_errno(program, "make / private");
  for (const char* dir : {"/run/netns", "/run/netlab"}) {
    mkdir(dir, 0755);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) die_errno(program, dir);
  }
  loopback_up();
  setenv("NETLAB_SANDBOX", "1", 1);
}

} // namespace netlab::bench
