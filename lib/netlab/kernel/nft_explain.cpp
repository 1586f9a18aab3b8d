// --explain text for NAT rules: the nft commands netlab's JSON batch amounts
// to, and the iptables form most tutorials teach.
#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_json.hpp>

namespace netlab {
namespace {

Family rule_family(const NatRule& r) {
  if (r.source) return r.source->addr.family;
  if (r.to_addr) return r.to_addr->family;
  return Family::v4;
}

std::string dnat_destination(const NatRule& r) {
  bool v6 = r.to_addr->family == Family::v6;
  std::string addr = r.to_addr->str();
  if (!r.to_port) return addr;
  std::string dest = (v6 ? "[" + addr + "]" : addr) + ":" + std::to_string(*r.to_port);
  if (r.port_first == r.port_last) return dest;
  if (*r.to_port == r.port_first) return addr;
  // A shifted range: base port makes the kernel keep each port's offset.
  return dest + "-" + std::to_string(*r.to_port + (r.port_last - r.port_first)) + "/" + std::to_string(r.port_first);
}

std::string dnat_match(const NatRule& r) {
  std::string ports = std::to_string(r.port_first);
  if (r.port_last != r.port_first) ports.append(":").append(std::to_string(r.port_last));
  return "-p " + r.protocol + " --dport " + ports + " -j DNAT --to-destination " + dnat_destination(r);
}

} // namespace

std::vector<std::string> nat_table_nft(std::string_view table) {
  std::string t = std::string(k_nat_family) + " " + std::string(table);
  std::vector<std::string> out{"nft add table " + t};
  for (const NatChainSpec& c : nat_chains())
    out.push_back("nft " + shell_quoted("add chain " + t + " " + std::string(c.name) + " { type nat hook " +
                                        std::string(c.name) + " priority " + std::string(c.prio_text) +
                                        "; policy accept; }"));
  out.push_back("nft add chain " + t + " " + nat_mark_chain(table) + "   # netlab's mark: the table is the lab's");
  return out;
}

std::string nat_rule_nft(const NatRule& rule, std::string_view table) {
  if (auto problem = nat_rule_problem(rule); !problem.empty()) return "# " + problem;
  std::string t = table.empty() ? "netlab-<lab>" : std::string(table);
  std::string out;
  for (const NftRule& r : nat_nft_rules(rule)) {
    if (!out.empty()) out += "\n";
    out += "nft " + shell_quoted("add rule " + std::string(k_nat_family) + " " + t + " " + r.chain + " " + r.text);
  }
  return out;
}

std::string nat_rule_iptables(const NatRule& r) {
  if (auto problem = nat_rule_problem(r); !problem.empty()) return "# " + problem;
  bool v6 = rule_family(r) == Family::v6;
  std::string cmd = std::string(v6 ? "ip6tables" : "iptables") + " -t nat -A ";
  if (r.type == NatRule::Type::dnat) {
    std::string pre = cmd + "PREROUTING" + (r.in ? " -i " + *r.in : "") + " " + dnat_match(r);
    std::string loop = v6 ? "::1" : "127.0.0.0/8";
    return pre + "\n" + cmd + "OUTPUT -m addrtype --dst-type LOCAL ! -d " + loop + " " + dnat_match(r);
  }
  std::string s = cmd + "POSTROUTING";
  if (r.source) s += " -s " + r.source->network().str();
  if (r.out) s += " -o " + *r.out;
  if (r.type == NatRule::Type::masquerade) return s + " -j MASQUERADE";
  return s + " -j SNAT --to-source " + r.to_addr->str();
}

} // namespace netlab
