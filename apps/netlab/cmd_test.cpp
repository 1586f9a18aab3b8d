// `netlab test FILE [--junit OUT]`: run the file's checks against the live lab.
#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/check/explain.hpp>
#include <netlab/kernel/nft_preflight.hpp>
#include <netlab/util/log.hpp>
#include <netlab/check/report.hpp>
#include <netlab/check/run.hpp>
#include <netlab/topology/multihost.hpp>
#include <netlab/topology/validate.hpp>

#include <nlohmann/json.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

namespace netlab::app {

namespace {

struct TestOptions {
  std::string file;
  std::string junit; ///< "" = no JUnit report
};

void print_results(const std::vector<CheckResult>& results, const Globals& g) {
  for (const auto& r : results) {
    if (g.quiet && r.passed) continue;
    std::printf("%s\n", check_line(r).c_str());
  }
  if (!g.quiet) std::printf("%s\n", summarize(results).str().c_str());
}

Expected<void> write_junit(const std::string& path, std::string_view lab, const std::vector<CheckResult>& results) {
  std::ofstream out(path, std::ios::trunc);
  if (out) out << junit_xml(lab, results);
  out.close();
  if (!out) return fail("cannot write JUnit report '" + path + "'");
  return {};
}

/// Whether anything of the lab is up: its state dir, or one of its namespaces.
bool lab_is_up(const Topology& topo) {
  const auto labs = list_lab_states();
  if (std::ranges::find(labs, topo.name) != labs.end()) return true;
  std::error_code ec;
  return std::ranges::any_of(topo.nodes, [&](const Node& n) {
    return n.kind == NodeKind::netns && std::filesystem::exists(std::string(k_netns_dir) + "/" + n.name, ec);
  });
}

/// Fills `why` of each check that failed: the first object on its path that
/// differs from the file, else what usually breaks a converged lab. Read only.
void explain_failures(const Topology& topo, std::vector<CheckResult>& results) {
  if (std::ranges::all_of(results, [](const CheckResult& r) {
        return r.passed || !r.check.expect_pass || r.probe.outcome == ProbeOutcome::refused;
      }))
    return;
  auto memory = load_lab_state(topo.name);
  if (!memory) return;
  auto kernel = make_netlink_kernel();
  auto have = observe_lab(*kernel, topo, *memory);
  if (!have) return; // the check's own message stands
  const Plan plan = diff(topo, *have, *memory);
  std::optional<NatHostFacts> host; // read once, only for a lab that matches its file
  for (auto& r : results) {
    // Refused: the target answered, so the path works and only the service is missing.
    if (r.passed || !r.check.expect_pass || r.probe.outcome == ProbeOutcome::error ||
        r.probe.outcome == ProbeOutcome::refused)
      continue;
    if (auto first = first_difference(topo, r.check, plan.findings)) {
      r.why = *first;
      continue;
    }
    if (!host) host = read_nat_host_facts();
    r.why = likely_cause(topo, r.check, *host);
  }
}

/// A multi-host lab's checks that start on another machine: "run on host X" each.
std::vector<std::pair<std::string, std::string>> elsewhere_checks(const Topology& whole, const Topology& part) {
  std::vector<std::pair<std::string, std::string>> out;
  if (part.part_of.empty()) return out;
  for (const Check& c : whole.checks) {
    std::string machine = machine_of(whole, c.from);
    if (machine == part.part_of) continue;
    CheckResult named;
    named.check = c;
    out.emplace_back(named.label(), machine);
  }
  return out;
}

int run_test(const TestOptions& o, Globals& g) {
  const bool cut = std::exchange(g.takes_host, false);
  auto whole = load_topology(o.file, g); // prints "FILE:LINE:COL: message" lines
  g.takes_host = cut;
  if (!whole) return g.exit_code;
  auto topo = machine_part(*whole, g);
  if (!topo) return g.exit_code;
  const auto skipped = elsewhere_checks(*whole, *topo);
  if (!lab_is_up(*topo)) {
    report_error("lab '" + topo->name + "' is not up: run netlab up " + o.file +
                 (topo->instance.empty() ? "" : " -i " + topo->instance));
    return static_cast<int>(ExitCode::failure);
  }
  if (!g.quiet)
    for (const auto& w : preflight_warnings(*topo)) log_line(LogLevel::warn, w);
  auto results = run_checks(*topo);
  explain_failures(*topo, results);
  if (g.json) {
    auto doc = checks_json(topo->name, results);
    if (!topo->part_of.empty()) {
      doc["host"] = topo->part_of;
      doc["skipped"] = nlohmann::json::array();
      for (const auto& [label, machine] : skipped)
        doc["skipped"].push_back({{"check", label}, {"host", machine}, {"reason", "run on host " + machine}});
    }
    print_json(std::move(doc));
  } else {
    if (!g.quiet)
      for (const auto& [label, machine] : skipped)
        std::printf("SKIP %s: run on host %s\n", label.c_str(), machine.c_str());
    print_results(results, g);
  }
  std::fflush(stdout);
  if (!o.junit.empty()) {
    if (auto written = write_junit(o.junit, topo->name, results); !written) {
      report_error(written.error().message);
      return static_cast<int>(ExitCode::failure);
    }
  }
  return static_cast<int>(summarize(results).failed > 0 ? ExitCode::drift : ExitCode::ok);
}

} // namespace

void add_test(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("test", "Run the file's connectivity checks (ping, tcp) against the live lab");
  auto o = std::make_shared<TestOptions>();
  cmd->add_option("FILE", o->file, "Topology file")->required();
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  cmd->add_option("--junit", o->junit, "Also write a JUnit XML report to this file");
  cmd->footer(
      "Exit status: 0 all checks passed, 3 a check failed, 2 invalid file, 1 runtime failure or the lab is not up.");
  cmd->callback([&g, o] { g.exit_code = run_test(*o, g); });
}

} // namespace netlab::app
