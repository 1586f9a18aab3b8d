// `netlab test FILE [--junit OUT]`: run the file's checks against the live lab.
#include "commands.hpp"

#include <netlab/check/report.hpp>
#include <netlab/check/run.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

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

int run_test(const TestOptions& o, const Globals& g) {
  auto topo = load_and_validate(o.file);
  if (!topo) {
    std::fprintf(stderr, "%s\n", topo.error().c_str()); // already "FILE:LINE:COL: message" lines
    return static_cast<int>(ExitCode::usage);
  }
  auto results = run_checks(*topo);
  if (g.json) {
    std::printf("%s\n", checks_json(topo->name, results).dump(2).c_str());
  } else {
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
  cmd->add_option("--junit", o->junit, "Also write a JUnit XML report to this file");
  cmd->footer("Exit status: 0 all checks passed, 3 a check failed, 2 invalid file, 1 runtime failure.");
  cmd->callback([&g, o] { g.exit_code = run_test(*o, g); });
}

} // namespace netlab::app
