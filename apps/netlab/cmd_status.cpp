#include "common.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/report/report.hpp>
#include <netlab/report/terminal.hpp>

#include <nlohmann/json.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

namespace netlab::app {

namespace {

struct StatusOptions {
  std::string file;
  std::string lab;
  bool adopt = false;
};

/// The file `status -l LAB` compares with: the copy kept in the state dir by
/// `up`, else (a state dir from an older netlab) the path it was brought up from.
Expected<std::string> file_of_lab(const std::string& lab) {
  std::error_code ec;
  if (std::string copy = lab_topology_path(lab); std::filesystem::exists(copy, ec)) return copy;
  auto memory = load_lab_state(lab);
  if (!memory) return std::unexpected(memory.error());
  if (memory->source_path.empty()) return fail("lab '" + lab + "' is not up (no state in /run/netlab)");
  return memory->source_path;
}

int run_status(const StatusOptions& o, Globals& g) {
  if (o.file.empty() == o.lab.empty()) {
    report_error("status needs exactly one of FILE or -l LAB");
    return static_cast<int>(ExitCode::usage);
  }
  std::string file = o.file;
  if (file.empty()) {
    if (auto ok = check_lab_name(o.lab); !ok) return report(ok.error());
    if (auto ok = instance_from_lab(o.lab, g); !ok) return report(ok.error());
    auto found = file_of_lab(o.lab);
    if (!found) return report(found.error());
    file = *found;
  }
  auto topo = load_topology(file, g);
  if (!topo) return g.exit_code;
  auto memory = load_lab_state(topo->name);
  if (!memory) return report(memory.error());
  memory->adopt = o.adopt;
  if (auto ok = check_host_netns(*memory, g); !ok) return report(ok.error());
  auto kernel = make_netlink_kernel();
  auto have = observe_lab(*kernel, *topo, *memory);
  if (!have) return report(have.error());
  Plan plan = diff(*topo, *have, *memory);
  size_t drift = std::ranges::count_if(plan.findings, [](const Finding& f) { return f.state != Finding::State::ok; });
  if (g.json) {
    print_json(status_json(topo->name, plan));
  } else {
    for (const auto& f : plan.findings)
      if (g.verbose > 0 || f.state != Finding::State::ok || !g.quiet)
        std::printf("%s\n", paint_finding(format_finding(f), f.state, g.paint).c_str());
    std::printf("lab '%s': %s\n", topo->name.c_str(),
                drift == 0 ? ("converged, " + std::to_string(plan.findings.size()) + " objects ok").c_str()
                           : (std::to_string(drift) + " of " + std::to_string(plan.findings.size()) +
                              " objects differ from the file")
                                 .c_str());
  }
  return drift == 0 ? 0 : static_cast<int>(ExitCode::drift);
}

} // namespace

void add_status(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "Compare the kernel with FILE: every object ok, missing, different or extra");
  cmd->add_option("file", opts->file, "Topology file");
  cmd->add_option("-l,--lab", opts->lab, "Lab name (uses the copy of the file it was brought up with, kept in /run/netlab/LAB)");
  add_instance_flag(cmd, g);
  cmd->add_flag("--adopt", opts->adopt,
                "Compare as up --adopt would: namespaces and links made by hand that match the file count as ok");
  add_host_netns_flag(cmd, g);
  cmd->footer("Exit: 0 converged, 3 drift found, 1 failure, 2 invalid file.");
  cmd->callback([opts, &g] { g.exit_code = run_status(*opts, g); });
}

} // namespace netlab::app
