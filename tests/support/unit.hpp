#pragma once
// Helpers the unit tests share: a topology from YAML text, its diagnostics,
// a plan as text, and a lab run against the FakeKernel.
#include <catch2/catch.hpp>

#include "fake_kernel.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace netlab::test {

using Lines = std::vector<std::string>;

/// A private temporary directory, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "netlab-unit-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  /// Writes `text` to `rel` under the dir (making its parent dirs); returns its full path.
  std::string write(const std::filesystem::path& rel, const std::string& text = "name: lab\n") const {
    std::filesystem::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << text;
    return (path / rel).string();
  }
};

/// A valid topology from `yaml` (every diagnostic fails the test).
inline Topology parse(const std::string& yaml) {
  auto raw = load_string(yaml, "t.yaml");
  REQUIRE(raw);
  auto topo = validate(*raw);
  if (!topo)
    for (const auto& d : topo.error()) FAIL(d.str());
  return *topo;
}

/// Every diagnostic of an invalid file, as "t.yaml:LINE:COL: message".
inline Lines problems(const std::string& yaml) {
  auto raw = load_string(yaml, "t.yaml");
  REQUIRE(raw);
  auto topo = validate(*raw);
  REQUIRE_FALSE(topo);
  Lines out;
  for (const auto& d : topo.error()) out.push_back(d.str());
  return out;
}

/// The plan's actions as `netlab plan` prints them.
inline Lines lines(const Plan& p) {
  Lines out;
  for (const auto& a : p.actions) out.push_back(describe(a));
  return out;
}

/// Where line `s` stands in `v`; the test fails when it is not there.
inline size_t index_of(const Lines& v, const std::string& s) {
  auto it = std::ranges::find(v, s);
  INFO("looking for: " << s);
  REQUIRE(it != v.end());
  return it - v.begin();
}

/// Whether `l` has the line `s`.
inline bool has_line(const Lines& l, const std::string& s) {
  return std::ranges::find(l, s) != l.end();
}

/// Whether some line of `l` contains `part`.
inline bool has_part(const Lines& l, std::string_view part) {
  return std::ranges::any_of(l, [&](const std::string& line) { return line.find(part) != std::string::npos; });
}

/// The first action of type T in `p` that `match` accepts; the test fails when there is none.
template <class T, class Match> const T& first_of(const Plan& p, Match match) {
  for (const auto& a : p.actions)
    if (const auto* x = action_if<T>(a); x && match(*x)) return *x;
  FAIL("no such action in the plan");
  std::abort();
}

/// Lab `name` with no nodes: what `down` plans against.
inline Topology empty_lab(const std::string& name) {
  Topology t;
  t.name = name;
  return t;
}

/// plan + apply + remember, like `up`, without the state dir.
/// A host bridge with two namespaces on it, each with a route: the engine
/// tests' lab, and the scoped diff's (with ns2's route dropped).
inline constexpr const char* k_bridge_lab = R"(
name: lab1
nodes:
  host:
    kind: host
    forwarding: true
    interfaces:
      br0: {kind: bridge, addresses: [192.168.10.1/24]}
      vethA: {master: br0}
      vethC: {master: br0}
  ns1:
    interfaces:
      vethB: {addresses: [192.168.10.2/24]}
    routes: [default via 192.168.10.1]
  ns2:
    interfaces:
      vethD: {addresses: [192.168.10.3/24], mtu: 1400}
    routes:
      - {to: default, via: 192.168.10.1}
links:
  - [ns1:vethB, host:vethA]
  - [ns2:vethD, host:vethC]
)";

struct Lab {
  FakeKernel kernel;
  LabState memory;

  Plan up(const Topology& t) {
    auto plan = plan_lab(kernel, t, memory);
    INFO((plan ? std::string() : plan.error().message));
    REQUIRE(plan);
    auto r = apply_plan(kernel, plan->actions);
    INFO("plan:\n" << [&] {
      std::string s;
      for (const auto& line : lines(*plan)) s += line + "\n";
      return s;
    }());
    INFO("error: " << (r.error ? r.error->message : ""));
    REQUIRE(r.ok());
    memory = next_lab_state(memory, t, plan->actions);
    return *plan;
  }
  /// up, then a second plan has nothing left to do.
  Plan converge(const Topology& t) {
    Plan applied = up(t);
    CHECK(plan(t).actions.empty());
    return applied;
  }
  Plan plan(const Topology& t) {
    auto p = plan_lab(kernel, t, memory);
    INFO((p ? std::string() : p.error().message));
    REQUIRE(p);
    return *p;
  }
};

} // namespace netlab::test
