// NAT rules read back from `nft -j list ruleset` into the file's `nat:` form.
// Two writers are understood: netlab's own tables (see kernel/nft_json.cpp) and
// iptables-nft (`iptables -t nat -A POSTROUTING -s ... -o ... -j MASQUERADE`,
// `-j SNAT --to-source`, `-j DNAT --to-destination`, which Debian 12's iptables
// writes as native nft expressions in table `ip nat`). A rule is expressed only
// when every expression of it is understood; anything else (filter rules, jumps,
// policies other than accept, xt targets) is listed, never dropped.
#include <netlab/export/export.hpp>

#include <nlohmann/json.hpp>

#include <netlab/util/ip.hpp>

#include <cstdlib>
#include <map>
#include <sstream>
#include <set>

namespace netlab {
namespace export_impl {

using nlohmann::json;

RawNode nat_scalar(std::string s) {
  RawNode n;
  n.type = RawNode::Type::scalar;
  n.scalar = std::move(s);
  return n;
}
void nat_put(RawNode& map, std::string key, std::string value) {
  RawNode k = nat_scalar(std::move(key));
  map.entries.emplace_back(std::move(k), nat_scalar(std::move(value)));
}

struct ChainInfo {
  std::string type, hook, policy;
  bool base = false;
};

/// One rule's matches and its NAT statement, as far as they were understood.
struct ParsedRule {
  std::optional<std::string> source, out, in, proto;
  std::optional<std::string> dport; ///< "8080" or "5000-5010"
  std::string verdict;              ///< masquerade | snat | dnat
  std::optional<std::string> to_addr, to_port;
  std::optional<std::string> nfproto;
  bool fib_local = false;           ///< netlab's output dnat companion
  std::string problem;              ///< non-empty: not expressible
};

std::string port_text(const json& right) {
  if (right.is_number_integer()) return std::to_string(right.get<int>());
  if (right.is_object() && right.contains("range") && right["range"].is_array() && right["range"].size() == 2)
    return std::to_string(right["range"][0].get<int>()) + "-" + std::to_string(right["range"][1].get<int>());
  return "";
}

std::string prefix_of(const json& right) {
  if (right.is_string()) return right.get<std::string>();
  if (right.is_object() && right.contains("prefix")) {
    const json& p = right["prefix"];
    return p.value("addr", "") + "/" + std::to_string(p.value("len", 0));
  }
  return "";
}

void parse_match(const json& m, ParsedRule& r) {
  const std::string op = m.value("op", "==");
  const json& left = m.contains("left") ? m["left"] : json();
  const json& right = m.contains("right") ? m["right"] : json();
  if (left.contains("payload")) {
    const json& p = left["payload"];
    const std::string proto = p.value("protocol", ""), field = p.value("field", "");
    if (op == "==" && (proto == "ip" || proto == "ip6") && field == "saddr" && !prefix_of(right).empty()) {
      r.source = prefix_of(right);
      return;
    }
    if (op == "==" && (proto == "tcp" || proto == "udp") && field == "dport" && !port_text(right).empty()) {
      r.proto = proto;
      r.dport = port_text(right);
      return;
    }
    if (op == "!=" && (proto == "ip" || proto == "ip6") && field == "daddr" && r.fib_local) return; // != loopback
    if (op == "==" && proto == "ip" && field == "protocol" && right.is_string()) {
      r.proto = right.get<std::string>();
      return;
    }
  } else if (left.contains("meta")) {
    const std::string key = left["meta"].value("key", "");
    if (op == "==" && right.is_string()) {
      if (key == "oifname") return void(r.out = right.get<std::string>());
      if (key == "iifname") return void(r.in = right.get<std::string>());
      if (key == "l4proto") return void(r.proto = right.get<std::string>());
      if (key == "nfproto") return void(r.nfproto = right.get<std::string>());
    }
  } else if (left.contains("fib") && op == "==" && right == "local") {
    r.fib_local = true;
    return;
  }
  r.problem = "match " + m.dump();
}

std::optional<std::string> nat_port(const json& port) {
  if (port.is_number_integer()) return std::to_string(port.get<int>());
  // netlab's shifted range: a map from each port to its new one; the first entry gives the base.
  if (port.is_object() && port.contains("map")) {
    const json& set = port["map"].value("data", json::object());
    if (set.contains("set") && set["set"].is_array() && !set["set"].empty() && set["set"][0].is_array())
      return std::to_string(set["set"][0][1].get<int>());
  }
  return std::nullopt;
}

/// Rule lines of `nft -a list ruleset` by (family, table, handle), without the "# handle N".
using RuleLines = std::map<std::tuple<std::string, std::string, long>, std::string>;

RuleLines rule_lines(const std::string& text) {
  RuleLines out;
  std::string family, table;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of("\t ");
    if (first == std::string::npos) continue;
    line.erase(0, first);
    if (line.starts_with("table ")) {
      std::istringstream words(line.substr(6));
      words >> family >> table;
      continue;
    }
    auto mark = line.rfind(" # handle ");
    if (mark == std::string::npos || line.starts_with("chain ")) continue;
    long handle = std::strtol(line.c_str() + mark + 10, nullptr, 10);
    while (mark > 0 && line[mark - 1] == ' ') --mark;
    line.resize(mark);
    // Counters change with every packet: "counter packets 3 bytes 252" is "counter".
    for (auto at = line.find("counter packets "); at != std::string::npos; at = line.find("counter packets ", at + 7)) {
      auto bytes = line.find(" bytes ", at);
      auto end = bytes == std::string::npos ? std::string::npos : line.find(' ', bytes + 7);
      line.erase(at + 7, (end == std::string::npos ? line.size() : end) - (at + 7));
    }
    out[{family, table, handle}] = line;
  }
  return out;
}

/// iptables-nft's xt target (its arguments are not in the JSON): read from the rule's text line.
void parse_xt(const json& xt, const std::string* line, ParsedRule& r) {
  const std::string name = xt.value("name", "");
  if (!line) return void(r.problem = "xt target " + name + " (its arguments were not read)");
  auto tail = [&](std::string_view word) -> std::optional<std::string> {
    auto at = line->rfind(word);
    if (at == std::string::npos) return std::nullopt;
    std::string rest = line->substr(at + word.size());
    if (rest.empty() || rest.find(' ') != std::string::npos) return std::nullopt;
    return rest;
  };
  if (name == "MASQUERADE" && (line->ends_with(" masquerade") || *line == "masquerade")) {
    r.verdict = "masquerade";
  } else if (auto to = tail(" snat to "); name == "SNAT" && to && IpAddr::parse(*to)) {
    r.verdict = "snat";
    r.to_addr = *to;
  } else if (auto dto = tail(" dnat to "); name == "DNAT" && dto) {
    std::string addr = *dto;
    if (addr.starts_with('[')) { // [v6]:port
      auto close = addr.find(']');
      if (close != std::string::npos && close + 1 < addr.size() && addr[close + 1] == ':') r.to_port = addr.substr(close + 2);
      addr = addr.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    } else if (auto colon = addr.find(':'); colon != std::string::npos && addr.find(':', colon + 1) == std::string::npos) {
      r.to_port = addr.substr(colon + 1);
      addr.resize(colon);
    }
    bool port_ok = !r.to_port || (!r.to_port->empty() && r.to_port->find_first_not_of("0123456789") == std::string::npos);
    if (IpAddr::parse(addr) && port_ok) {
      r.verdict = "dnat";
      r.to_addr = addr;
    } else {
      r.problem = "xt target DNAT: " + *line;
    }
  } else {
    r.problem = "xt target " + name + ": " + *line;
  }
}

ParsedRule parse_rule(const json& expr, const std::string* line) {
  ParsedRule r;
  for (const json& e : expr) {
    if (!r.problem.empty()) break;
    if (e.contains("match")) parse_match(e["match"], r);
    else if (e.contains("counter")) continue;
    else if (e.contains("xt") && e["xt"].value("type", "") == "target") parse_xt(e["xt"], line, r);
    else if (e.contains("masquerade") && (e["masquerade"].is_null() || e["masquerade"].empty())) r.verdict = "masquerade";
    else if (e.contains("snat") && e["snat"].contains("addr") && e["snat"]["addr"].is_string() && !e["snat"].contains("port")) {
      r.verdict = "snat";
      r.to_addr = e["snat"]["addr"].get<std::string>();
    } else if (e.contains("dnat") && e["dnat"].contains("addr") && e["dnat"]["addr"].is_string()) {
      r.verdict = "dnat";
      r.to_addr = e["dnat"]["addr"].get<std::string>();
      if (e["dnat"].contains("port")) {
        r.to_port = nat_port(e["dnat"]["port"]);
        if (!r.to_port) r.problem = "dnat port " + e["dnat"]["port"].dump();
      }
    } else
      r.problem = "statement " + e.dump();
  }
  if (r.problem.empty() && r.verdict.empty()) r.problem = "no masquerade, snat or dnat";
  return r;
}

/// The rule in the file's form, or "" in `why`.
std::optional<RawNode> to_nat_item(const ParsedRule& r, const std::string& hook, std::string& why) {
  RawNode body;
  body.type = RawNode::Type::mapping;
  if (r.verdict == "masquerade" || r.verdict == "snat") {
    if (hook != "postrouting") return why = r.verdict + " in hook " + hook, std::nullopt;
    if (r.in || r.dport || r.proto) return why = r.verdict + " matching on input interface, protocol or port", std::nullopt;
    if (r.source) nat_put(body, "source", *r.source);
    if (r.out) nat_put(body, "out", *r.out);
    if (r.verdict == "snat") nat_put(body, "to", *r.to_addr);
  } else {
    if (hook != "prerouting") return why = "dnat in hook " + hook, std::nullopt;
    if (!r.proto || !r.dport) return why = "dnat without a tcp/udp destination port", std::nullopt;
    if (*r.proto != "tcp" && *r.proto != "udp") return why = "dnat of protocol " + *r.proto, std::nullopt;
    if (r.source || r.out) return why = "dnat matching on source or output interface", std::nullopt;
    nat_put(body, "protocol", *r.proto);
    nat_put(body, "port", *r.dport);
    bool v6 = r.to_addr->find(':') != std::string::npos;
    std::string to = v6 && r.to_port ? "[" + *r.to_addr + "]" : *r.to_addr;
    if (r.to_port) to += ":" + *r.to_port;
    nat_put(body, "to", to);
    if (r.in) nat_put(body, "in", *r.in);
  }
  RawNode item;
  item.type = RawNode::Type::mapping;
  item.entries.emplace_back(nat_scalar(r.verdict), std::move(body));
  return item;
}

} // namespace export_impl

std::vector<RawNode> export_nat(const std::string& ruleset_json, const std::string& ruleset_text,
                                const std::string& node, std::vector<std::string>& not_expressed) {
  using namespace export_impl;
  std::vector<RawNode> out;
  const RuleLines lines = rule_lines(ruleset_text);
  json doc = json::parse(ruleset_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    not_expressed.push_back(node + ": the nftables ruleset could not be read as JSON");
    return out;
  }
  std::map<std::tuple<std::string, std::string, std::string>, ChainInfo> chains;
  for (const json& o : doc["nftables"]) {
    if (!o.contains("chain")) continue;
    const json& c = o["chain"];
    ChainInfo info{c.value("type", ""), c.value("hook", ""), c.value("policy", ""), c.contains("hook")};
    chains[{c.value("family", ""), c.value("table", ""), c.value("name", "")}] = info;
    if (info.base && !info.policy.empty() && info.policy != "accept")
      not_expressed.push_back(node + ": chain " + c.value("family", "") + " " + c.value("table", "") + " " +
                              c.value("name", "") + " has policy " + info.policy);
  }
  // Prerouting dnats seen, to recognise netlab's output companions.
  std::set<std::string> dnats;
  std::vector<std::pair<ParsedRule, std::string>> outputs;
  for (const json& o : doc["nftables"]) {
    if (!o.contains("rule")) continue;
    const json& rule = o["rule"];
    const std::string family = rule.value("family", ""), table = rule.value("table", ""), chain = rule.value("chain", "");
    const std::string where = node + ": rule in " + family + " " + table + " " + chain;
    auto info = chains.find({family, table, chain});
    auto line = lines.find({family, table, rule.value("handle", -1L)});
    if (info == chains.end() || !info->second.base || info->second.type != "nat") {
      not_expressed.push_back(where + " (" + (info != chains.end() && info->second.base ? info->second.type + " chain"
                                                                                        : "a chain without a hook") +
                              "): " + (line != lines.end() ? line->second : rule.value("expr", json::array()).dump()));
      continue;
    }
    ParsedRule r = parse_rule(rule.value("expr", json::array()), line == lines.end() ? nullptr : &line->second);
    if (r.problem.empty() && family == "inet" && r.verdict == "masquerade" && !r.source && r.nfproto != "ipv4")
      r.problem = "masquerade of both IPv4 and IPv6";
    if (r.problem.empty() && r.nfproto && r.nfproto != "ipv4") r.problem = "meta nfproto " + *r.nfproto;
    if (!r.problem.empty()) {
      not_expressed.push_back(where + ": " + r.problem);
      continue;
    }
    const std::string& hook = info->second.hook;
    if (hook == "output" && r.verdict == "dnat" && r.fib_local) {
      outputs.emplace_back(r, where);
      continue;
    }
    std::string why;
    if (auto item = to_nat_item(r, hook, why)) {
      if (r.verdict == "dnat") dnats.insert(*r.proto + " " + *r.dport + " " + *r.to_addr + " " + r.to_port.value_or(""));
      out.push_back(std::move(*item));
    } else {
      not_expressed.push_back(where + ": " + why);
    }
  }
  for (const auto& [r, where] : outputs)
    if (!dnats.contains(*r.proto + " " + r.dport.value_or("") + " " + *r.to_addr + " " + r.to_port.value_or("")))
      not_expressed.push_back(where + ": dnat of the node's own connections without its prerouting rule");
  return out;
}

} // namespace netlab
