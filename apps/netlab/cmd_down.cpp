#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/report/report.hpp>
#include <netlab/util/netns.hpp>
#include <netlab/util/suggest.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab::app {

namespace {

struct DownOptions {
  std::string file;
  std::string lab;
  bool all = false;
  bool explain = false;
};

/// What down cannot undo in external namespaces that are gone or were replaced.
std::vector<std::string> external_notes(Kernel& kernel, const LabState& memory) {
  std::vector<std::string> notes;
  for (const auto& ref : memory.nodes) {
    if (ref.kind != NodeKind::external) continue;
    auto seen = kernel.observe(ref, {});
    std::string what = "external namespace of node '" + ref.node + "' (" + ref.path + ")";
    if (seen && !seen->exists)
      notes.push_back(what + " is gone; what lab '" + memory.lab + "' added there went with it");
    else if (seen && ref.ns_id && seen->ns_id != ref.ns_id)
      notes.push_back(what + " is not the one lab '" + memory.lab + "' set up; left alone");
  }
  return notes;
}

/// A lab that could not be torn down at all, as an entry of `down --json --all`.
int lab_failed(const std::string& lab, const Error& e, nlohmann::json* doc) {
  if (doc) *doc = {{"lab", lab}, {"ok", false}, {"error", error_json(e.message, e.code)}};
  return report(e);
}

/// `-l LAB` names a lab that is up: else "no lab 'x' is up", naming those that are (exit 1).
int require_known_lab(Kernel& kernel, const std::string& lab) {
  const auto with_state = list_lab_states(); // cheap: no namespace is read
  if (std::ranges::find(with_state, lab) != with_state.end()) return 0;
  auto labs = discover_labs(kernel);
  if (!labs) return report(labs.error());
  if (std::ranges::find(*labs, lab) != labs->end()) return 0;
  std::string up;
  for (const auto& l : *labs) up += (up.empty() ? "" : ", ") + l;
  std::vector<std::string_view> names(labs->begin(), labs->end());
  report_error("no lab '" + lab + "' is up" + did_you_mean(lab, names) +
               (labs->empty() ? "; no labs are up" : "; labs that are up: " + up));
  return static_cast<int>(ExitCode::failure);
}

/// Tears one lab down from its memory and the kernel marks. Under --json its
/// document goes to `doc` instead of stdout.
int down_lab(Kernel& kernel, const std::string& lab, const Topology* file, const DownOptions& o, Globals& g,
             nlohmann::json* doc) {
  auto locks = lock_lab(lab, LabAccess::change, g);
  if (!locks) return lab_failed(lab, locks.error(), doc);
  auto memory = discover_lab(kernel, lab);
  if (!memory) return lab_failed(lab, memory.error(), doc);
  if (auto ok = check_host_netns(*memory, g); !ok) return lab_failed(lab, ok.error(), doc);
  if (file)
    for (const auto& n : file->nodes)
      if (!memory->find_node(n.name)) memory->nodes.push_back(ns_ref_for(n));
  Topology nothing;
  nothing.name = lab;
  bool live = !g.json && !g.quiet;
  const auto notes = external_notes(kernel, *memory);
  ChangePrinter printer(g, o.explain);
  auto result = reconcile(
      kernel, nothing, *memory, [&](const Action& a, const Expected<void>& r) { printer.step(a, r); },
      [&](const Plan& plan) { printer.start(plan); });
  printer.finish();
  if (!result) return lab_failed(lab, result.error(), doc);
  if (doc) *doc = reconcile_json(lab, *result);
  if (result->applied.interrupted) return report_interrupted(result->applied);
  if (result->applied.error) {
    report_error("failed: " + describe(result->plan.actions[*result->applied.failed_index]) + ": " +
                 result->applied.error->message);
    return static_cast<int>(ExitCode::failure);
  }
  (void)remove_lab_state(lab);
  if (live)
    for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  if (live) std::printf("lab '%s' is down: %s\n", lab.c_str(),
                        summary_line(result->plan.actions.size(), result->elapsed_ms).c_str());
  if (stop_requested()) return report_interrupted(result->applied);
  return 0;
}

int run_down(const DownOptions& o, Globals& g) {
  int given = !o.file.empty() + !o.lab.empty() + o.all;
  if (given != 1) {
    report_error("down needs exactly one of FILE, -l LAB or --all");
    return static_cast<int>(ExitCode::usage);
  }
  if (!o.lab.empty())
    if (auto ok = check_lab_name(o.lab); !ok) return report(ok.error());
  if (o.file.empty() && !g.instance.empty()) {
    report_error("down: -i INSTANCE goes with FILE (or say -l LAB@INSTANCE)");
    return static_cast<int>(ExitCode::usage);
  }
  std::optional<Topology> topo;
  if (!o.file.empty() && !(topo = load_topology(o.file, g))) return g.exit_code;
  stop_on_signals(); // a run waiting for a lock stops there; one applying undoes first
  auto kernel = make_netlink_kernel();
  if (!o.lab.empty())
    if (int rc = require_known_lab(*kernel, o.lab); rc != 0) return rc;
  nlohmann::json doc;
  if (!o.all) {
    int rc = down_lab(*kernel, topo ? topo->name : o.lab, topo ? &*topo : nullptr, o, g, g.json ? &doc : nullptr);
    if (g.json && !doc.is_null()) print_json(doc); // else finish_json prints the error
    return rc;
  }
  auto labs = discover_labs(*kernel);
  if (!labs) return report(labs.error());
  int rc = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& lab : *labs) {
    if (stop_requested()) return report_interrupted({});
    if (int r = down_lab(*kernel, lab, nullptr, o, g, g.json ? &doc : nullptr); r != 0) rc = r;
    if (g.json) all.push_back(doc);
  }
  if (g.json) print_json({{"labs", all}});
  if (labs->empty() && !g.quiet && !g.json) std::printf("no labs are up\n");
  return rc;
}

} // namespace

void add_down(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<DownOptions>();
  auto* cmd = app.add_subcommand("down", "Remove everything a lab created (and nothing else); restore host sysctls");
  cmd->add_option("file", opts->file, "Topology file (its lab name is used; the file may have been edited)");
  cmd->add_option("-l,--lab", opts->lab, "Lab name, when the file is gone");
  cmd->add_flag("--all", opts->all, "Every lab found in /run/netlab or tagged in the kernel");
  cmd->add_flag("--explain", opts->explain, "Show the ip/nft commands that do each change by hand");
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  add_lock_flags(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("Exit: 0 down (or nothing was up with --all), 1 failure or no such lab, 2 bad usage or invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_down(*opts, g); });
}

} // namespace netlab::app
