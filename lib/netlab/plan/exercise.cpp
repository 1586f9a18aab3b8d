#include <netlab/plan/describe.hpp>
#include <netlab/plan/exercise.hpp>

#include <algorithm>
#include <set>

namespace netlab {

namespace {

Node* node_to_break(Topology& t, const std::string& name) {
  auto it = std::ranges::find(t.nodes, name, &Node::name);
  return it == t.nodes.end() ? nullptr : &*it;
}

bool nat_matches(const NatRule& r, const std::string& kind) {
  if (kind == "all") return true;
  NatRule::Type t = kind == "masquerade" ? NatRule::Type::masquerade
                    : kind == "snat"     ? NatRule::Type::snat
                                         : NatRule::Type::dnat;
  return r.type == t;
}

void apply_breakage(Topology& t, const Breakage& b) {
  using T = Breakage::Type;
  Node* node = node_to_break(t, b.node);
  if (!node) return; // validate refuses a start naming no node
  switch (b.type) {
  case T::lo_down: node->loopback_up = false; break;
  case T::link_down:
    for (auto& i : node->interfaces)
      if (i.name == b.iface) i.up = false;
    break;
  case T::remove_route:
    std::erase_if(node->routes, [&](const Route& r) { return b.to && (b.to->prefix == 0 ? r.to.prefix == 0 : r.to == *b.to); });
    break;
  case T::remove_address: {
    for (auto& i : node->interfaces)
      if (b.address && (b.iface.empty() || i.name == b.iface)) std::erase(i.addresses, *b.address);
    // The kernel refuses a gateway no address of the node reaches: such routes go too.
    auto reached = [&](const IpAddr& via) {
      return std::ranges::any_of(node->interfaces, [&](const Interface& i) {
        return std::ranges::any_of(i.addresses, [&](const Cidr& c) { return c.contains(via); });
      });
    };
    std::erase_if(node->routes, [&](const Route& r) { return r.via && !r.dev && !reached(*r.via); });
    break;
  }
  case T::sysctl: node->sysctls[b.key] = b.value; break;
  case T::forwarding_off: node->forwarding = false; break;
  case T::remove_nat: std::erase_if(node->nat, [&](const NatRule& r) { return nat_matches(r, b.nat); }); break;
  }
}

/// "ns2", "vethD", "state" from "ns2/vethD/state".
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  // Route and address keys contain '/' themselves ("routes/10.0.0.0/24 via ..."): split only the first parts.
  for (int k = 0; k < 2; ++k) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) break;
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  parts.push_back(path.substr(start));
  return parts;
}

std::string sysctl_words(const std::string& node, const std::string& key, const Finding& f) {
  if (key == "net.ipv4.ip_forward" && f.have == "0")
    return node + " does not forward IPv4 (net.ipv4.ip_forward is 0)";
  if (key == "net.ipv6.conf.all.forwarding" && f.have == "0")
    return node + " does not forward IPv6 (net.ipv6.conf.all.forwarding is 0)";
  return node + " has " + key + "=" + f.have + " (the file wants " + f.want + ")";
}

} // namespace

Topology exercise_start(const Topology& solution, const Exercise& ex) {
  Topology broken = solution;
  for (const auto& b : ex.start) apply_breakage(broken, b);
  return broken;
}

const std::vector<Check>& exercise_checks(const Topology& topo, const Exercise& ex) {
  return ex.checks.empty() ? topo.checks : ex.checks;
}

std::string exercise_title(const Exercise& ex, std::size_t number) {
  std::string t = "exercise " + std::to_string(number);
  if (!ex.name.empty()) t += " '" + ex.name + "'";
  return t;
}

std::string describe(const Breakage& b) {
  using T = Breakage::Type;
  switch (b.type) {
  case T::lo_down: return b.node + ": lo down";
  case T::link_down: return b.node + ": " + b.iface + " down";
  case T::remove_route: return b.node + ": no route " + (b.to && b.to->prefix != 0 ? b.to->str() : "default");
  case T::remove_address:
    return b.node + ": no address " + (b.address ? b.address->str() : "") + (b.iface.empty() ? "" : " on " + b.iface);
  case T::sysctl: return b.node + ": " + b.key + "=" + b.value;
  case T::forwarding_off: return b.node + ": forwarding off";
  case T::remove_nat: return b.node + ": no " + (b.nat == "all" ? "NAT" : b.nat + " rules");
  }
  return b.node;
}

std::vector<ExerciseFinding> classify_findings(const Plan& vs_solution, const Plan& vs_start) {
  // The start diff reports every object of the start model that differs from
  // the kernel (and its removed objects are not declared there at all): where it
  // finds nothing wrong, the kernel is as the exercise starts it.
  std::set<std::string> start_differs;
  for (const auto& f : vs_start.findings)
    if (f.state != Finding::State::ok) start_differs.insert(f.path);
  std::vector<ExerciseFinding> out;
  for (const auto& f : vs_solution.findings) {
    ExerciseFinding e{f, false};
    if (f.state != Finding::State::ok && f.state != Finding::State::conflict)
      e.start_point = !start_differs.contains(f.path);
    out.push_back(std::move(e));
  }
  return out;
}

Plan keep_exercise_start(Plan vs_solution, const Plan& vs_start) {
  std::multiset<std::string> start;
  for (const auto& a : vs_start.actions) start.insert(describe(a));
  std::erase_if(vs_solution.actions, [&](const Action& a) {
    auto it = start.find(describe(a));
    if (it == start.end()) return true;
    start.erase(it);
    return false;
  });
  return vs_solution;
}

std::string finding_words(const Finding& f) {
  auto parts = split_path(f.path);
  const std::string& node = parts[0];
  using S = Finding::State;
  if (parts.size() == 1) {
    if (f.state == S::missing) return "namespace " + node + " is missing";
    if (f.state == S::extra) return node + " is no longer declared but still there";
  }
  if (parts.size() >= 2 && parts[1] == "routes") {
    std::string route = parts.size() > 2 ? parts[2] : f.want;
    bool is_default = route.starts_with("default");
    if (f.state == S::missing)
      return node + (is_default ? " has no default route" : " has no route " + route.substr(0, route.find(' ')));
    if (f.state == S::different) return node + " routes " + route + " as " + f.have;
    if (f.state == S::extra) return node + " has a route the file does not declare: " + f.have;
  }
  if (parts.size() >= 3 && parts[1] == "sysctls" && f.state == S::different) return sysctl_words(node, parts[2], f);
  if (parts.size() == 2 && parts[1] == "nat") {
    if (f.state == S::missing) return node + " has no NAT rules (the file has " + f.want + ")";
    if (f.state == S::different) return node + "'s NAT rules were changed";
    if (f.state == S::extra) return node + " still has NAT rules the file does not declare";
  }
  if (parts.size() == 3 && parts[2] == "state" && f.state == S::different)
    return node + "/" + parts[1] + " is " + f.have;
  if (parts.size() == 2 && f.state == S::missing) return node + "/" + parts[1] + " is missing";
  if (parts.size() == 3 && parts[2] == "master" && f.state == S::different)
    return f.want == "(none)" ? node + "/" + parts[1] + " is a port of " + f.have
                              : node + "/" + parts[1] + " is not a port of " + f.want;
  if (parts.size() == 3 && parts[2].starts_with("addresses/")) {
    std::string addr = parts[2].substr(10);
    if (f.state == S::missing) return node + "/" + parts[1] + " has no address " + addr;
    if (f.state == S::extra) return node + "/" + parts[1] + " has an extra address " + addr;
  }
  std::string text = f.path + " is " + std::string(to_string(f.state));
  if (f.state == S::different || f.state == S::conflict) text += " (want " + f.want + ", have " + f.have + ")";
  return text;
}

} // namespace netlab
