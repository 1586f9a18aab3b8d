// Entry point of the integration suite. Before any test runs, the process moves
// into fresh network and mount namespaces with private tmpfs on /run/netns,
// /run/netlab and a fresh temp dir (TMPDIR), so nothing a test creates (links, namespaces, temp
// files) is visible on the machine and all of it vanishes when the process
// exits. ctest runs each test case as its own process, so every case gets its
// own sandbox. Catch2 itself is compiled once in tests/support/catch_impl.cpp.
#include <catch2/catch.hpp>

#include "../support/catch_run.hpp"
#include "../support/sandbox.hpp"
#include "../support/skip.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <sys/mount.h>
#include <unistd.h>

namespace nltest {

int& skipped_cases() {
  static int n = 0;
  return n;
}

} // namespace nltest

namespace {

bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--list") || a == "-h" || a == "--help") return true;
  }
  return false;
}

/// Counts the cases that ran, so that main can tell "all skipped" from "some passed".
struct CaseCounter : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  static int& ran() {
    static int n = 0;
    return n;
  }
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    ++ran();
  }
};

} // namespace

CATCH_REGISTER_LISTENER(CaseCounter)

int main(int argc, char** argv) {
  char tmp_dir[] = "/tmp/netlab-it-XXXXXX";
  bool own_tmp = false;
  if (!listing_only(argc, argv)) {
    if (geteuid() != 0) {
      std::fprintf(stderr, "sandbox: integration tests need root; skipped\n");
      return 77;
    }
    if (!netlab::sandbox::enter("sandbox")) return 1;
    // The sandbox's own temp dir: a tmpfs on a fresh dir under /tmp (not on /tmp
    // itself, which may hold the source and build trees), so a test's temp files go
    // with the sandbox even when it fails half-way.
    if (!mkdtemp(tmp_dir)) {
      std::perror("sandbox: mkdtemp");
      return 1;
    }
    if (mount("tmpfs", tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
      std::perror("sandbox: tmpfs for temp files");
      rmdir(tmp_dir);
      return 1;
    }
    own_tmp = true;
    setenv("TMPDIR", tmp_dir, 1);
    // The tests read netlab's English texts: a machine whose locale is another
    // language would get the lab's message in it (netlab --lang). A test of
    // the languages sets them on its command line.
    for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}) unsetenv(var);
  }
  int failed = nltest::run_catch(argc, argv);
  if (own_tmp && umount2(tmp_dir, MNT_DETACH) == 0) rmdir(tmp_dir);
  const int skipped = nltest::skipped_cases();
  if (failed == 0 && skipped > 0 && skipped == CaseCounter::ran()) {
    std::fprintf(stderr, "sandbox: %d case(s) skipped on this kernel\n", skipped);
    return 77;
  }
  return failed;
}
