// Entry point of the integration suite. Before any test runs, the process moves
// into fresh network and mount namespaces with private tmpfs on /run/netns and
// /run/netlab, so nothing a test creates is visible on the machine and all of it
// vanishes when the process exits. ctest runs each test case as its own process,
// so every case gets its own sandbox.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <net/if.h>
#include <sched.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--list") || a == "-h" || a == "--help") return true;
  }
  return false;
}

int die(const char* what) {
  std::fprintf(stderr, "sandbox: %s: %s\n", what, std::strerror(errno));
  return 1;
}

void loopback_up() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  close(fd);
}

int enter_sandbox() {
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return die("unshare(CLONE_NEWNET|CLONE_NEWNS)");
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return die("make / private");
  for (const char* dir : {"/run/netns", "/run/netlab"}) {
    mkdir(dir, 0755);
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return die(dir);
  }
  loopback_up();
  setenv("NETLAB_SANDBOX", "1", 1);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (!listing_only(argc, argv)) {
    if (geteuid() != 0) {
      std::fprintf(stderr, "sandbox: integration tests need root; skipped\n");
      return 77;
    }
    if (int rc = enter_sandbox(); rc != 0) return rc;
  }
  return Catch::Session().run(argc, argv);
}
