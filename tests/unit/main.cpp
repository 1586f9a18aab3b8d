// Entry point of the unit suite; Catch2 itself is compiled once in tests/support/catch_impl.cpp.
#include <catch2/catch.hpp>

int main(int argc, char** argv) { return Catch::Session().run(argc, argv); }
