#include "common.hpp"

#include <netlab/export/export.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/util/netns.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace netlab::app {

namespace {

struct ExportCliOptions {
  std::vector<std::string> ns;         ///< --ns: namespaces to export (default: every one in /run/netns)
  std::vector<std::string> host_links; ///< --host-links
  std::string name = "exported";
  std::string output;                  ///< -o FILE, "" for stdout
  bool no_macs = false;
};

/// What export reads in each namespace besides links and addresses.
ObserveRequest export_request() {
  ObserveRequest what;
  what.sysctls = {"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"};
  for (const auto& [key, value] : export_sysctl_defaults()) what.sysctls.push_back(key);
  what.all_routes = true;
  what.nft_ruleset = true;
  what.qdiscs = true;
  return what;
}

Expected<ExportInput> read_kernel(Kernel& kernel, const ExportCliOptions& o) {
  auto names = kernel.list_netns();
  if (!names) return std::unexpected(names.error());
  std::vector<std::string> chosen = o.ns.empty() ? *names : o.ns;
  for (const auto& n : o.ns)
    if (std::ranges::find(*names, n) == names->end())
      return fail("no namespace '" + n + "' in " + std::string(k_netns_dir) + " (ip netns list shows them)",
                  ExitCode::usage);
  ExportInput in;
  // A namespace called "host" would take the host node's name.
  while (std::ranges::find(chosen, in.host_key) != chosen.end()) in.host_key += "0";
  std::vector<ObserveJob> jobs;
  jobs.push_back({NsRef{in.host_key, NodeKind::host, "", 0}, export_request()});
  for (const auto& n : chosen)
    jobs.push_back({NsRef{n, NodeKind::netns, std::string(k_netns_dir) + "/" + n, 0}, export_request()});
  auto seen = kernel.observe_many(jobs);
  if (!seen) return std::unexpected(seen.error());
  // Whether each namespace's links have IPv6 (a hand-made one's do; an IPv4-only
  // lab's have address generation off): one sysctl per link, known only now.
  for (size_t i = 1; i < jobs.size(); ++i) {
    jobs[i].what = ObserveRequest{};
    for (const auto& l : (*seen)[i].links)
      if (l.kind != LinkKind::loopback && l.name.find('.') == std::string::npos)
        jobs[i].what.sysctls.push_back(addr_gen_mode_key(l.name));
  }
  jobs.erase(jobs.begin());
  auto modes = kernel.observe_many(jobs);
  if (!modes) return std::unexpected(modes.error());
  for (size_t i = 0; i < jobs.size(); ++i) (*seen)[i + 1].sysctls.merge((*modes)[i].sysctls);
  for (auto& ns : *seen) {
    std::string key = ns.ref.node;
    in.have.nodes.emplace(std::move(key), std::move(ns));
  }
  return in;
}

int run_export(const ExportCliOptions& o, Globals& g) {
  if (auto ok = check_lab_name(o.name); !ok) return report(ok.error());
  auto kernel = make_netlink_kernel();
  auto in = read_kernel(*kernel, o);
  if (!in) return report(in.error());
  ExportResult r = export_topology(*in, ExportOptions{o.name, o.host_links, !o.no_macs});
  std::string text = export_yaml(r);
  if (!o.output.empty()) {
    std::ofstream f(o.output, std::ios::trunc);
    if (!(f << text) || !f.flush()) return report(Error{"cannot write " + o.output, ExitCode::failure});
  }
  if (g.json) {
    print_json({{"name", o.name}, {"topology", text}, {"not_expressed", r.not_expressed}, {"notes", r.notes}});
  } else if (o.output.empty()) {
    std::fputs(text.c_str(), stdout);
  } else if (!g.quiet) {
    for (const auto& n : r.not_expressed) std::fprintf(stderr, "netlab: not expressed: %s\n", n.c_str());
  }
  return 0;
}

} // namespace

void add_export(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<ExportCliOptions>();
  auto* cmd = app.add_subcommand("export", "Write a topology file that describes the live namespaces (made by hand or not)");
  cmd->add_option("--ns", opts->ns, "Namespace to export (repeatable; default: every one in /run/netns)");
  cmd->add_option("--host-links", opts->host_links,
                  "Host interface to export as well (repeatable; veth peers of the namespaces and their bridges are "
                  "always exported)");
  cmd->add_option("--name", opts->name, "The lab name the file gets (default: exported)");
  cmd->add_option("-o,--output", opts->output, "Write the file here instead of stdout");
  cmd->add_flag("--no-macs", opts->no_macs,
                "Write no MAC addresses (default: every MAC that is not the one netlab would derive, so the copy is exact)");
  cmd->footer("What the file format cannot express is listed as '# not expressed:' comments at its top.\n"
              "Exit: 0 written, 1 failure, 2 bad usage.");
  cmd->callback([opts, &g] { g.exit_code = run_export(*opts, g); });
}

} // namespace netlab::app
