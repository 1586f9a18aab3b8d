#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_json.hpp>

namespace netlab {
namespace {

using nlohmann::json;

struct Stmt {
  json expr;
  std::string text;
};

std::string nfamily(Family f) { return f == Family::v4 ? "ip" : "ip6"; }

json match(json left, json right, std::string_view op = "==") {
  return {{"match", {{"op", op}, {"left", std::move(left)}, {"right", std::move(right)}}}};
}
json payload(std::string_view proto, std::string_view field) {
  return {{"payload", {{"protocol", proto}, {"field", field}}}};
}
json meta(std::string_view key) { return {{"meta", {{"key", key}}}}; }

// nft prints a full-length prefix as a bare address.
json prefix_json(const Cidr& c) {
  Cidr n = c.network();
  if (n.prefix == n.addr.bits()) return n.addr.str();
  return {{"prefix", {{"addr", n.addr.str()}, {"len", n.prefix}}}};
}
std::string prefix_text(const Cidr& c) {
  Cidr n = c.network();
  return n.prefix == n.addr.bits() ? n.addr.str() : n.str();
}

Stmt source_match(const Cidr& src) {
  auto fam = nfamily(src.addr.family);
  return {match(payload(fam, "saddr"), prefix_json(src)), fam + " saddr " + prefix_text(src)};
}
Stmt ifname_match(std::string_view key, const std::string& name) {
  return {match(meta(key), name), std::string(key) + " \"" + name + "\""};
}
Stmt dport_match(const NatRule& r) {
  json right = r.port_first == r.port_last ? json(r.port_first) : json{{"range", {r.port_first, r.port_last}}};
  std::string ports = std::to_string(r.port_first);
  if (r.port_last != r.port_first) ports.append("-").append(std::to_string(r.port_last));
  return {match(payload(r.protocol, "dport"), std::move(right)), r.protocol + " dport " + ports};
}

// A shifted range keeps each port's offset (iptables' "/base"): nft has no
// such flag, so the port comes from an anonymous map, one element per port.
Stmt dnat_port(const NatRule& r) {
  if (!r.to_port || (r.port_first != r.port_last && *r.to_port == r.port_first)) return {};
  if (r.port_first == r.port_last) return {json(*r.to_port), std::to_string(*r.to_port)};
  json elems = json::array();
  std::string text = r.protocol + " dport map { ";
  for (uint32_t p = r.port_first; p <= r.port_last; ++p) {
    uint32_t to = *r.to_port + (p - r.port_first);
    elems.push_back({p, to});
    text += (p == r.port_first ? "" : ", ") + std::to_string(p) + " : " + std::to_string(to);
  }
  return {{{"map", {{"key", payload(r.protocol, "dport")}, {"data", {{"set", elems}}}}}}, text + " }"};
}

Stmt dnat_stmt(const NatRule& r) {
  const IpAddr& to = *r.to_addr;
  auto fam = nfamily(to.family);
  json nat = {{"family", fam}, {"addr", to.str()}};
  std::string text = "dnat " + fam + " to ";
  Stmt port = dnat_port(r);
  if (port.expr.is_null()) return {{{"dnat", nat}}, text + to.str()};
  nat["port"] = port.expr;
  const std::string addr = to.str();
  text += (to.family == Family::v6 ? "[" + addr + "]" : addr) + ":" + port.text;
  return {{{"dnat", nat}}, text};
}

NftRule assemble(std::string chain, const std::vector<Stmt>& stmts) {
  NftRule rule{std::move(chain), json::array(), {}};
  for (const Stmt& s : stmts) {
    rule.expr.push_back(s.expr);
    rule.text += (rule.text.empty() ? "" : " ") + s.text;
  }
  return rule;
}

NftRule source_nat_rule(const NatRule& r) {
  std::vector<Stmt> stmts;
  if (r.source) stmts.push_back(source_match(*r.source));
  // masquerade has no family of its own; without a source prefix keep it IPv4 like iptables.
  else if (r.type == NatRule::Type::masquerade)
    stmts.push_back({match(meta("nfproto"), "ipv4"), "meta nfproto ipv4"});
  if (r.out) stmts.push_back(ifname_match("oifname", *r.out));
  if (r.type == NatRule::Type::masquerade) {
    stmts.push_back({{{"masquerade", nullptr}}, "masquerade"});
  } else {
    auto fam = nfamily(r.to_addr->family);
    stmts.push_back({{{"snat", {{"family", fam}, {"addr", r.to_addr->str()}}}}, "snat " + fam + " to " + r.to_addr->str()});
  }
  return assemble("postrouting", stmts);
}

// Output: connections the node opens to one of its own addresses (not loopback) are forwarded too, as Docker does.
NftRule dnat_output_rule(const NatRule& r) {
  bool v4 = r.to_addr->family == Family::v4;
  auto fam = nfamily(r.to_addr->family);
  Cidr loop = *Cidr::parse(v4 ? "127.0.0.0/8" : "::1/128");
  std::vector<Stmt> stmts{
      {match({{"fib", {{"result", "type"}, {"flags", {"daddr"}}}}}, "local"), "fib daddr type local"},
      {match(payload(fam, "daddr"), prefix_json(loop), "!="), fam + " daddr != " + prefix_text(loop)},
      dport_match(r), dnat_stmt(r)};
  return assemble("output", stmts);
}

NftRule dnat_prerouting_rule(const NatRule& r) {
  std::vector<Stmt> stmts;
  if (r.in) stmts.push_back(ifname_match("iifname", *r.in));
  stmts.push_back(dport_match(r));
  stmts.push_back(dnat_stmt(r));
  return assemble("prerouting", stmts);
}

void strip_volatile(json& node, bool top) {
  if (node.is_array()) {
    for (json& e : node) strip_volatile(e, false);
    return;
  }
  if (!node.is_object()) return;
  if (top) node.erase("handle");
  for (auto& [key, value] : node.items()) {
    if (key == "counter" && value.is_object()) value = {{"packets", 0}, {"bytes", 0}};
    else strip_volatile(value, false);
  }
}

} // namespace

nlohmann::json table_ref(const std::string& table) { return {{"family", k_nat_family}, {"name", table}}; }

const std::vector<NatChainSpec>& nat_chains() {
  static const std::vector<NatChainSpec> chains{
      {"postrouting", 100, "srcnat"}, {"prerouting", -100, "dstnat"}, {"output", -100, "-100"}};
  return chains;
}

std::string nat_rule_problem(const NatRule& r) {
  if (r.type == NatRule::Type::masquerade) return "";
  if (!r.to_addr) return "NAT rule has no 'to' address";
  if (r.type == NatRule::Type::snat) {
    if (r.source && r.source->addr.family != r.to_addr->family) return "snat: 'source' and 'to' differ in family";
    return "";
  }
  if (r.protocol != "tcp" && r.protocol != "udp") return "dnat: protocol must be tcp or udp, got '" + r.protocol + "'";
  if (r.port_first == 0 || r.port_last < r.port_first) return "dnat: bad port range";
  if (r.to_port && uint32_t(*r.to_port) + (r.port_last - r.port_first) > 65535)
    return "dnat: port range shifted to " + std::to_string(*r.to_port) + " runs past 65535";
  return "";
}

std::vector<NftRule> nat_nft_rules(const NatRule& r) {
  if (!nat_rule_problem(r).empty()) return {};
  if (r.type != NatRule::Type::dnat) return {source_nat_rule(r)};
  return {dnat_prerouting_rule(r), dnat_output_rule(r)};
}

nlohmann::json nat_table_objects(const std::string& table, const std::vector<NatRule>& rules) {
  json objects = json::array({{{"table", table_ref(table)}}});
  std::vector<NftRule> all;
  for (const NatRule& r : rules)
    for (NftRule& n : nat_nft_rules(r)) all.push_back(std::move(n));
  for (const NatChainSpec& c : nat_chains()) {
    objects.push_back({{"chain",
                        {{"family", k_nat_family}, {"table", table}, {"name", c.name}, {"type", "nat"},
                         {"hook", c.name}, {"prio", c.prio}, {"policy", "accept"}}}});
  }
  objects.push_back({{"chain", {{"family", k_nat_family}, {"table", table}, {"name", nat_mark_chain(table)}}}});
  // Listing order: all chains first, then each chain's rules in order.
  for (const NatChainSpec& c : nat_chains())
    for (const NftRule& n : all)
      if (n.chain == c.name)
        objects.push_back(
            {{"rule", {{"family", k_nat_family}, {"table", table}, {"chain", n.chain}, {"expr", n.expr}}}});
  return objects;
}

std::string nat_mark_chain(std::string_view table) {
  return "owner-" + std::string(table);
}

bool nat_table_marked(const std::string& canonical, const std::string& table) {
  json objects = json::parse(canonical, nullptr, false);
  if (!objects.is_array()) return false;
  const std::string mark = nat_mark_chain(table);
  for (const json& o : objects) {
    if (!o.is_object() || !o.contains("chain") || !o["chain"].is_object()) continue;
    const json& c = o["chain"];
    if (c.value("table", "") == table && c.value("family", "") == k_nat_family && c.value("name", "") == mark &&
        !c.contains("hook"))
      return true;
  }
  return false;
}

std::string nat_canonical_objects(nlohmann::json objects) {
  for (json& o : objects)
    for (auto& [kind, body] : o.items()) strip_volatile(body, true);
  return objects.dump();
}

std::string nat_canonical_from_listing(const nlohmann::json& listing) {
  json objects = json::array();
  bool has_table = false;
  if (listing.is_object() && listing.contains("nftables") && listing["nftables"].is_array()) {
    for (const json& o : listing["nftables"]) {
      if (o.contains("metainfo")) continue;
      has_table = has_table || o.contains("table");
      objects.push_back(o);
    }
  }
  return has_table ? nat_canonical_objects(std::move(objects)) : "";
}

nlohmann::json nat_replace_batch(const std::string& table, const nlohmann::json& objects) {
  // add+delete makes the delete succeed whether or not the table existed.
  json cmds = json::array({{{"add", {{"table", table_ref(table)}}}}, {{"delete", {{"table", table_ref(table)}}}}});
  for (const json& o : objects) cmds.push_back({{"add", o}});
  return {{"nftables", cmds}};
}

std::string shell_quoted(const std::string& cmd) {
  if (cmd.find_first_of("\"'{};!<>*?$&|()[]\\`#~") == std::string::npos) return cmd;
  std::string out = "'";
  for (char c : cmd) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

} // namespace netlab
