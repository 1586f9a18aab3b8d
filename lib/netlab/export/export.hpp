#pragma once
// export: live kernel state (an Observed read with ObserveRequest::all_routes and
// ::nft_ruleset) -> a topology file. Pure: no I/O, unit-tested with hand-built
// values. What the format cannot say is returned as `not_expressed` lines, which
// the YAML writer prints as comments: nothing is dropped silently.
#include <netlab/kernel/state.hpp>
#include <netlab/topology/raw.hpp>

#include <string>
#include <vector>

namespace netlab {

/// What to export and how.
struct ExportOptions {
  std::string name = "exported";       ///< the lab's `name:`
  std::vector<std::string> host_links; ///< host interfaces exported even if no namespace's veth or bridge needs them
  /// Write `mac:` for every link whose MAC is not the one netlab derives for it
  /// (plan/mac.hpp: a lab of the same name would give it that one anyway), so
  /// the copy is exact; false: no MACs at all (the kernel's random ones of a
  /// hand-made lab are rarely worth keeping).
  bool macs = true;
};

/// Observed namespaces to export. `have.nodes` holds the named namespaces by
/// name and, when the host namespace was read, the key `host_key` with kind host.
struct ExportInput {
  Observed have;
  std::string host_key = "host";
};

/// The exported file as a tree, and what it could not say.
struct ExportResult {
  RawNode root;                          ///< name, nodes, links: loads and validates as a topology
  std::vector<std::string> not_expressed; ///< one line each: "ns1: route 10.9.0.0/16 proto ra"
  std::vector<std::string> notes;         ///< left out on purpose (the machine's own routes): comments too
};

/// Sysctls export reads in each namespace besides forwarding, with the value a
/// new namespace has: a named namespace's value that differs goes to `sysctls:`.
/// (Only keys whose default does not depend on the machine's own settings.)
const std::vector<std::pair<std::string, std::string>>& export_sysctl_defaults();

/// "net.ipv6.conf.<link>.addr_gen_mode": read for every link of a named namespace,
/// it says whether the namespace has IPv6 (0: the kernel makes a link-local
/// address; 1: none, as netlab leaves an IPv4-only node).
std::string addr_gen_mode_key(const std::string& link);

/// The topology that, brought up, gives the observed state.
ExportResult export_topology(const ExportInput& in, const ExportOptions& opt);

/// The whole file: a header comment, `# not expressed:` comments, then the YAML.
std::string export_yaml(const ExportResult& r);

/// NAT rules (file form, each a one-key mapping) read from one namespace's
/// `nft -j list ruleset` and `nft -a list ruleset` (the text names the
/// arguments of iptables-nft's xt targets); what they cannot express goes to
/// `not_expressed`. `node` prefixes the lines.
std::vector<RawNode> export_nat(const std::string& ruleset_json, const std::string& ruleset_text,
                                const std::string& node, std::vector<std::string>& not_expressed);

} // namespace netlab
