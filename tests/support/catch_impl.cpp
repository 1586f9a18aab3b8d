// Catch2's implementation, compiled once (the object library netlab_catch) and
// linked into both suites; each suite has its own main (tests/unit/main.cpp,
// tests/integration/sandbox_main.cpp), which runs the tests through
// run_catch(): Catch2 v2 declares its Session only where it compiles its
// implementation. This is the expensive part of a Catch main: compiling it
// twice cost ~45 s of every build.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch_run.hpp"

namespace nltest {

int run_catch(int argc, char** argv) { return Catch::Session().run(argc, argv); }

} // namespace nltest
