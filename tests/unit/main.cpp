// Entry point of the unit suite; Catch2 itself is compiled once in tests/support/catch_impl.cpp.
#include "catch_run.hpp"

int main(int argc, char** argv) { return nltest::run_catch(argc, argv); }
