#pragma once
// The suites' mains run Catch2 through this (defined in catch_impl.cpp, the one
// file that compiles Catch2's implementation).

namespace nltest {

/// Catch::Session().run(argc, argv): the number of failed assertions, or Catch's error code.
int run_catch(int argc, char** argv);

} // namespace nltest
