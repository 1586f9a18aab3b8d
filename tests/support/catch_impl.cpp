// Catch2's implementation, compiled once (the object library netlab_catch) and
// linked into both suites; each suite has its own main (tests/unit/main.cpp,
// tests/integration/sandbox_main.cpp). This is the expensive part of a Catch
// main: compiling it twice cost ~45 s of every build.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
