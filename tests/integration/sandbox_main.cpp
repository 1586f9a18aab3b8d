// Entry point of the integration suite. Before any test runs, the process moves
// into fresh network and mount namespaces with private tmpfs on /run/netns and
// /run/netlab, so nothing a test creates is visible on the machine and all of it
// vanishes when the process exits. ctest runs each test case as its own process,
// so every case gets its own sandbox.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "../support/sandbox.hpp"

#include <cstdio>
#include <string_view>
#include <unistd.h>

namespace {

bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--list") || a == "-h" || a == "--help") return true;
  }
  return false;
}

} // namespace

int main(int argc, char** argv) {
  if (!listing_only(argc, argv)) {
    if (geteuid() != 0) {
      std::fprintf(stderr, "sandbox: integration tests need root; skipped\n");
      return 77;
    }
    if (!netlab::sandbox::enter("sandbox")) return 1;
  }
  return Catch::Session().run(argc, argv);
}
