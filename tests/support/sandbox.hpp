#pragma once
// The sandbox every kernel-touching test and benchmark runs in: new network and
// mount namespaces, / made rprivate, tmpfs on /run/netns and /run/netlab, lo up.
// Nothing created afterwards is visible on the machine, and all of it vanishes
// when the process exits. Needs root; callers check that first (the test suite
// skips without it, the benchmarks refuse).
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

namespace netlab::sandbox {

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

/// Moves the calling (single-threaded) process into a fresh sandbox. On failure
/// prints "PROGRAM: what: errno text" and returns false.
inline bool enter(const char* program) {
  auto die = [program](const char* what) {
    std::fprintf(stderr, "%s: %s: %s\n", program, what, std::strerror(errno));
    return false;
  };
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return die("unshare(CLONE_NEWNET|CLONE_NEWNS)");
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return die("make / private");
  for (const char* dir : {"/run/netns", "/run/netlab"}) {
    mkdir(dir, 0755);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return die(dir);
  }
  loopback_up();
  setenv("NETLAB_SANDBOX", "1", 1);
  return true;
}

} // namespace netlab::sandbox
