// `netlab validate FILE`: check a topology file, report every problem, touch nothing.
#include "common.hpp"

#include <netlab/report/report.hpp>
#include <netlab/topology/expand.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace netlab::app {

namespace {

/// What a valid lab contains, for the one-line summary.
struct Counts {
  std::size_t nodes = 0, hosts = 0, externals = 0, links = 0, bridges = 0, interfaces = 0, addresses = 0,
              routes = 0, nat_rules = 0, checks = 0, shared = 0;
};

Counts count(const Topology& t) {
  Counts n;
  n.nodes = t.nodes.size();
  n.links = t.links.size();
  n.checks = t.checks.size();
  for (const auto& node : t.nodes) {
    n.hosts += node.kind == NodeKind::host;
    n.externals += node.kind == NodeKind::external;
    n.interfaces += node.interfaces.size();
    n.routes += node.routes.size();
    n.nat_rules += node.nat.size();
    for (const auto& i : node.interfaces) {
      n.bridges += i.kind == LinkKind::bridge;
      n.shared += i.shared;
      n.addresses += i.addresses.size();
    }
  }
  return n;
}

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string file_summary_line(const std::string& file, const Topology& t, const Counts& n) {
  std::string kinds = plural(n.hosts, "host", "hosts");
  if (n.externals > 0) kinds += ", " + std::to_string(n.externals) + " external";
  return file + ": lab '" + t.name + "' is valid: " + plural(n.nodes, "node", "nodes") + " (" + kinds + "), " +
         plural(n.links, "link", "links") + ", " + plural(n.bridges, "bridge", "bridges") +
         (n.shared > 0 ? " (" + std::to_string(n.shared) + " shared interface" + (n.shared == 1 ? "" : "s") + ")" : "") +
         ", " +
         plural(n.interfaces, "interface", "interfaces") + ", " + plural(n.addresses, "address", "addresses") + ", " +
         plural(n.routes, "route", "routes") + ", " + plural(n.nat_rules, "NAT rule", "NAT rules") + ", " +
         plural(n.checks, "check", "checks");
}

nlohmann::json summary_json(const std::string& file, const Topology& t, const Counts& n) {
  return {{"file", file},          {"valid", true},           {"lab", t.name},
          {"nodes", n.nodes},      {"hosts", n.hosts},        {"externals", n.externals},
          {"links", n.links},      {"bridges", n.bridges},    {"interfaces", n.interfaces},
          {"addresses", n.addresses}, {"routes", n.routes},   {"nat_rules", n.nat_rules},
          {"checks", n.checks},     {"shared", n.shared}};
}

// A file that cannot be read or parsed, or that validate() rejects: stderr always, JSON too if asked.
int report_invalid(const std::string& file, const std::vector<Diagnostic>& diags, const std::string& load_error,
                   const Globals& g) {
  if (!load_error.empty()) std::fprintf(stderr, "%s\n", load_error.c_str());
  for (const auto& d : diags) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (g.json) {
    note_diagnostics(diags);
    std::string message = !load_error.empty() ? load_error
                                              : file + ": not a valid topology (" + std::to_string(diags.size()) +
                                                    " problem(s))";
    nlohmann::json error = error_json(message, ExitCode::usage);
    error["diagnostics"] = noted_diagnostics();
    print_json({{"file", file}, {"valid", false}, {"error", error}});
  }
  return static_cast<int>(ExitCode::usage);
}

int run_validate(const std::string& file, bool print_expanded, const Globals& g) {
  auto raw = load_file(file);
  if (!raw) return report_invalid(file, {}, raw.error().message, g);
  auto topo = validate(*raw);
  if (!topo) return report_invalid(file, topo.error(), {}, g);
  if (print_expanded) {
    std::fputs(to_yaml(raw->root).c_str(), stdout);
    return static_cast<int>(ExitCode::ok);
  }
  Counts n = count(*topo);
  if (g.json)
    print_json(summary_json(file, *topo, n));
  else if (!g.quiet)
    std::printf("%s\n", file_summary_line(file, *topo, n).c_str());
  return static_cast<int>(ExitCode::ok);
}

} // namespace

void add_validate(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "validate", "Check a topology file and report every problem at once; nothing in the kernel is read or changed");
  auto file = std::make_shared<std::string>();
  cmd->add_option("file", *file, "Topology file (YAML)")->required();
  auto expanded = std::make_shared<bool>(false);
  cmd->add_flag("--expand", *expanded,
                "Print the file with defaults, templates, ranges, pools and ${VAR}s expanded (YAML), if it is valid");
  cmd->footer("Each problem is printed to stderr as FILE:LINE:COL: message (the format editors jump to), all of them,\n"
              "sorted by position. --json prints a summary object (counts, or the error with its diagnostics) on stdout\n"
              "(docs/json.md).\n"
              "Example: netlab validate topologies/bridge-nat.yaml\n"
              "--expand prints the long-hand file instead of the summary (docs/topology.md, \"Writing a lab compactly\").\n"
              "Needs no privileges: nothing in the kernel is read.\n"
              "Exit status: 0 the file is valid, 2 it is not (or cannot be read).");
  cmd->callback([&g, file, expanded] { g.exit_code = run_validate(*file, *expanded, g); });
}

} // namespace netlab::app
