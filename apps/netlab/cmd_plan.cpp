#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/report/report.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace netlab::app {

namespace {

struct PlanOptions {
  std::string file;
  bool explain = false;
  bool adopt = false;
};

int run_plan(const PlanOptions& o, Globals& g) {
  auto lab = open_lab(o.file, g, LabAccess::read);
  if (!lab) return g.exit_code;
  lab->memory.adopt = o.adopt;
  auto plan = plan_lab(*lab->kernel, lab->topo, lab->memory);
  if (!plan) return report(plan.error());
  if (g.json) {
    print_json(plan_json(lab->topo.name, *plan, o.explain));
    return 0;
  }
  for (const auto& a : plan->actions) print_action(a, o.explain, g.paint);
  if (!g.quiet)
    std::printf("%s\n", plan->empty() ? "no changes: the kernel matches the file"
                                      : (std::to_string(plan->actions.size()) + " changes planned, none applied").c_str());
  return 0;
}

} // namespace

void add_plan(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand("plan", "Show what `up FILE` would change, without changing anything");
  cmd->add_option("file", opts->file, "Topology file")->required();
  cmd->add_flag("--explain", opts->explain, "Show the ip/nft commands that do each change by hand");
  add_instance_flag(cmd, g);
  add_host_flag(cmd, g);
  cmd->add_flag("--adopt", opts->adopt, "Plan as up --adopt would: take over matching namespaces and links made by hand");
  add_lock_flags(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("Exit: 0 the plan was made (changes or none), 1 failure (e.g. a conflict), 2 invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_plan(*opts, g); });
}

} // namespace netlab::app
