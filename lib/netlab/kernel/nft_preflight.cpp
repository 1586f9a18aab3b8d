#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_ctx.hpp>
#include <netlab/kernel/nft_preflight.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace netlab {
namespace {

// /proc/sys/net is resolved against the namespace of the thread that opens it.
std::optional<bool> read_flag(const char* path) {
  std::ifstream in(path);
  std::string value;
  if (!(in >> value)) return std::nullopt;
  return value != "0";
}

std::vector<std::string> read_drop_forward_chains() {
  std::vector<std::string> out;
  auto listing = nft_run_json({{"nftables", {{{"list", {{"chains", nullptr}}}}}}});
  if (!listing || !listing->is_object() || !listing->contains("nftables")) return out;
  for (const auto& o : (*listing)["nftables"]) {
    if (!o.contains("chain")) continue;
    const auto& c = o["chain"];
    if (c.value("hook", "") != "forward" || c.value("policy", "") != "drop") continue;
    out.push_back(c.value("family", "") + " " + c.value("table", "") + " " + c.value("name", ""));
  }
  return out;
}

bool has_family(const Node& node, Family f) {
  return std::ranges::any_of(node.nat, [f](const NatRule& r) {
    Family rf = r.source ? r.source->addr.family : r.to_addr ? r.to_addr->family : Family::v4;
    return rf == f;
  });
}

std::optional<std::string> forwarding_warning(const Node& node, const char* key, std::optional<bool> on) {
  if (on.value_or(true) || node.forwarding == true) return std::nullopt;
  std::string fix = node.forwarding == false ? "change 'forwarding: false' to 'forwarding: true'"
                                             : "add 'forwarding: true'";
  return "node '" + node.name + "' has NAT rules but " + key +
         " is 0 there, so traffic from other namespaces is neither forwarded nor translated; " + fix +
         " to node '" + node.name + "'";
}

std::optional<std::string> bridge_warning(const Node& node, const NatHostFacts& facts) {
  auto bridge = std::ranges::find(node.interfaces, LinkKind::bridge, &Interface::kind);
  if (bridge == node.interfaces.end() || !facts.bridge_nf_call_iptables.value_or(false)) return std::nullopt;
  if (node.nat.empty() && facts.drop_forward_chains.empty()) return std::nullopt;
  auto set = node.sysctls.find("net.bridge.bridge-nf-call-iptables");
  if (set != node.sysctls.end() && set->second == "0") return std::nullopt;
  return "node '" + node.name +
         "': br_netfilter is loaded and net.bridge.bridge-nf-call-iptables=1, so frames bridged on '" +
         bridge->name +
         "' also pass the IP NAT and forward hooks (a dnat rule rewrites traffic between bridge ports, a forward "
         "DROP policy drops it); add 'sysctls: {net.bridge.bridge-nf-call-iptables: 0}' to node '" +
         node.name + "'";
}

std::string drop_chain_warning(const Node& node, const std::string& chain) {
  std::string iface = node.interfaces.empty() ? "<lab interface>" : node.interfaces.front().name;
  std::string fix = "nft insert rule " + chain + " iifname " + iface + " accept";
  if (chain.starts_with("ip filter ")) fix += " (under Docker: iptables -I DOCKER-USER -i " + iface + " -j ACCEPT)";
  return "node '" + node.name + "': chain '" + chain +
         "' (hook forward, policy drop) is not netlab's and drops forwarded lab traffic it does not accept; "
         "netlab never changes foreign rules, so accept the lab's interfaces there, e.g. " +
         fix;
}

} // namespace

NatHostFacts read_nat_host_facts() {
  NatHostFacts facts;
  facts.ip_forward = read_flag("/proc/sys/net/ipv4/ip_forward");
  facts.ipv6_forward = read_flag("/proc/sys/net/ipv6/conf/all/forwarding");
  facts.bridge_nf_call_iptables = read_flag("/proc/sys/net/bridge/bridge-nf-call-iptables");
  facts.drop_forward_chains = read_drop_forward_chains();
  return facts;
}

std::vector<std::string> nat_preflight_warnings(const Node& node, const NatHostFacts& facts) {
  std::vector<std::string> out;
  auto add = [&out](std::optional<std::string> w) {
    if (w) out.push_back(std::move(*w));
  };
  if (has_family(node, Family::v4)) add(forwarding_warning(node, "net.ipv4.ip_forward", facts.ip_forward));
  if (has_family(node, Family::v6))
    add(forwarding_warning(node, "net.ipv6.conf.all.forwarding", facts.ipv6_forward));
  add(bridge_warning(node, facts));
  if (!node.nat.empty() || node.forwarding == true)
    for (const std::string& chain : facts.drop_forward_chains) out.push_back(drop_chain_warning(node, chain));
  return out;
}

std::vector<std::string> nat_preflight_warnings(const Node& node) {
  return nat_preflight_warnings(node, read_nat_host_facts());
}

} // namespace netlab
