#pragma once
// The benchmarks run in the same sandbox as the integration tests
// (tests/support/sandbox.hpp); unlike the tests, they refuse to run without root.
#include "../tests/support/sandbox.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace netlab::bench {

/// Enters the sandbox, or exits 1 (also when not root: nothing is tried then).
inline void enter_sandbox(const char* program) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "%s: needs root (it creates namespaces, inside a private sandbox)\n", program);
    std::exit(1);
  }
  if (!netlab::sandbox::enter(program)) std::exit(1);
}

} // namespace netlab::bench
