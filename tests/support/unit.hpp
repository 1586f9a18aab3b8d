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

#include <filesystem>
#include <fstream>
#include <string>
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

/// plan + apply + remember, like `up`, without the state dir.
struct Lab {
  FakeKernel kernel;
  LabState memory;

  Plan up(const Topology& t) {
    auto plan = plan_lab(kernel, t, memory);
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
  Plan plan(const Topology& t) {
    auto p = plan_lab(kernel, t, memory);
    REQUIRE(p);
    return *p;
  }
};

} // namespace netlab::test
