#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/report/report.hpp>
#include <netlab/util/netns.hpp>

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

/// Tears one lab down from its memory and the kernel marks.
int down_lab(Kernel& kernel, const std::string& lab, const Topology* file, const DownOptions& o, Globals& g) {
  auto memory = discover_lab(kernel, lab);
  if (!memory) return report(memory.error());
  if (file)
    for (const auto& n : file->nodes)
      if (!memory->find_node(n.name)) memory->nodes.push_back(ns_ref_for(n));
  Topology nothing;
  nothing.name = lab;
  bool live = !g.json && !g.quiet;
  const auto notes = external_notes(kernel, *memory);
  auto result = reconcile(kernel, nothing, *memory, [&](const Action& a, const Expected<void>& r) {
    if (live && r) print_action(a, o.explain);
  });
  if (!result) return report(result.error());
  if (g.json) std::printf("%s\n", reconcile_json(lab, *result).dump(2).c_str());
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
  return 0;
}

int run_down(const DownOptions& o, Globals& g) {
  int given = !o.file.empty() + !o.lab.empty() + o.all;
  if (given != 1) {
    report_error("down needs exactly one of FILE, -l LAB or --all");
    return static_cast<int>(ExitCode::usage);
  }
  std::optional<Topology> topo;
  if (!o.file.empty() && !(topo = load_topology(o.file, g))) return g.exit_code;
  auto lock = RunLock::acquire();
  if (!lock) return report(lock.error());
  auto kernel = make_netlink_kernel();
  if (!o.all) return down_lab(*kernel, topo ? topo->name : o.lab, topo ? &*topo : nullptr, o, g);
  auto labs = discover_labs(*kernel);
  if (!labs) return report(labs.error());
  int rc = 0;
  for (const auto& lab : *labs)
    if (int r = down_lab(*kernel, lab, nullptr, o, g); r != 0) rc = r;
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
  cmd->callback([opts, &g] { g.exit_code = run_down(*opts, g); });
}

} // namespace netlab::app
