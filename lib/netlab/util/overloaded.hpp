#pragma once
// std::visit over a set of lambdas: std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, v).
// One definition for the library: in a unity build a file-local copy per file would clash.

namespace netlab {

template <class... Ts> struct Overloaded : Ts... {
  using Ts::operator()...;
};

} // namespace netlab
