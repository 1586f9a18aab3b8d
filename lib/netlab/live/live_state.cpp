#include <netlab/live/live_state.hpp>

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/report/report.hpp>
#include <netlab/topology/graph.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace netlab {
namespace {

using json = nlohmann::json;

Finding::State worse(Finding::State a, Finding::State b) {
  return state_rank(b) > state_rank(a) ? b : a;
}

/// Each finding belongs to the interface its path names ("ns2/vethD/mtu" ->
/// "ns2/vethD") when the node has one of that name, else to its node ("ns1",
/// "host/routes/default"). Returns the worst state per key.
struct Folded {
  std::map<std::string, Finding::State> nodes, interfaces;
  std::map<std::string, std::vector<const Finding*>> by_node;
};

bool has_interface(const Node& n, std::string_view name) {
  return name == "lo" || std::ranges::any_of(n.interfaces, [&](const Interface& i) { return i.name == name; });
}

Folded fold(const Topology& want, const Plan& plan) {
  Folded out;
  std::map<std::string, const Node*> nodes;
  for (const auto& n : want.nodes) {
    nodes[n.name] = &n;
    out.nodes[n.name] = Finding::State::ok;
    for (const auto& i : n.interfaces)
      out.interfaces[n.name + "/" + i.name] = Finding::State::ok;
  }
  for (const auto& f : plan.findings) {
    const auto slash = f.path.find('/');
    const std::string node = f.path.substr(0, slash);
    out.by_node[node].push_back(&f);
    auto n = nodes.find(node);
    if (n == nodes.end()) continue;
    if (slash != std::string::npos) {
      const auto end = f.path.find('/', slash + 1);
      const std::string iface = f.path.substr(slash + 1, end == std::string::npos ? end : end - slash - 1);
      if (has_interface(*n->second, iface)) {
        auto& s = out.interfaces[node + "/" + iface];
        s = worse(s, f.state);
        continue;
      }
    }
    // Missing inside a namespace that exists (a route, the NAT table) is the namespace
    // differing: red dashed is kept for a namespace that is gone.
    const bool itself = slash == std::string::npos;
    const auto state = !itself && f.state == Finding::State::missing ? Finding::State::different : f.state;
    out.nodes[node] = worse(out.nodes[node], state);
  }
  // A namespace that is missing (its own finding, not a route's) takes everything in it along.
  for (const auto& f : plan.findings)
    if (f.state == Finding::State::missing && nodes.contains(f.path))
      for (const auto& i : nodes.at(f.path)->interfaces)
        out.interfaces[f.path + "/" + i.name] = Finding::State::missing;
  // A veth pair is one object, reported at one end: the kernel deletes both ends together.
  for (const auto& l : want.links) {
    auto a = out.interfaces.find(l.a.node + "/" + l.a.iface), b = out.interfaces.find(l.b.node + "/" + l.b.iface);
    if (a == out.interfaces.end() || b == out.interfaces.end()) continue;
    if (a->second == Finding::State::missing || b->second == Finding::State::missing)
      a->second = b->second = Finding::State::missing;
  }
  return out;
}

json counters_json(const LinkCounters& c) {
  return {
      {"rx_packets", c.rx_packets}, {"tx_packets", c.tx_packets}, {"rx_bytes", c.rx_bytes}, {"tx_bytes", c.tx_bytes}};
}

std::string kernel_route_line(const ObservedRoute& r) {
  std::string s = r.to.prefix == 0 ? "default" : r.to.str();
  if (r.via) s += " via " + r.via->str();
  if (r.dev) s += " dev " + *r.dev;
  if (r.metric) s += " metric " + std::to_string(r.metric);
  if (r.protocol == k_route_protocol) s += " proto netlab";
  return s;
}

/// One namespace as the kernel has it: what a click on its box shows.
json kernel_json(const ObservedNs* ns) {
  json j{{"exists", ns && ns->exists}, {"interfaces", json::array()}, {"routes", json::array()}};
  if (!ns || !ns->exists) return j;
  for (const auto& l : ns->links) {
    json i{{"name", l.name},
           {"kind", std::string(to_string(l.kind))},
           {"up", l.up},
           {"mtu", l.mtu},
           {"mac", l.mac},
           {"addresses", json::array()},
           {"counters", counters_json(l.counters)}};
    if (l.master) i["master"] = *l.master;
    for (const auto& a : l.addresses)
      i["addresses"].push_back(a.str());
    j["interfaces"].push_back(std::move(i));
  }
  for (const auto& r : ns->all_routes)
    j["routes"].push_back(kernel_route_line(r));
  return j;
}

const ObservedNs* observed(const Observed& have, const std::string& node) {
  auto it = have.nodes.find(node);
  return it == have.nodes.end() ? nullptr : &it->second;
}

json end_counters(const Observed& have, const Endpoint& e) {
  const ObservedNs* ns = observed(have, e.node);
  const ObservedLink* l = ns && ns->exists ? ns->find_link(e.iface) : nullptr;
  return l ? counters_json(l->counters) : json(nullptr);
}

} // namespace

int state_rank(Finding::State s) {
  switch (s) {
  case Finding::State::ok: return 0;
  case Finding::State::extra: return 1;
  case Finding::State::different:
  case Finding::State::conflict: return 2;
  case Finding::State::missing: return 3;
  }
  return 0;
}

nlohmann::json live_state_json(const Topology& want, const Plan& plan, const Observed& have) {
  const PictureIds ids = picture_ids(want);
  const Folded folded = fold(want, plan);
  json nodes = json::array(), interfaces = json::array(), links = json::array(), findings = json::array();
  bool converged = true;
  for (const auto& f : plan.findings) {
    if (f.state == Finding::State::ok) continue;
    converged = false;
    findings.push_back(finding_json(f));
  }
  for (const auto& n : want.nodes) {
    json own = json::array();
    if (auto it = folded.by_node.find(n.name); it != folded.by_node.end())
      for (const Finding* f : it->second)
        if (f->state != Finding::State::ok) own.push_back(finding_json(*f));
    nodes.push_back({{"name", n.name},
                     {"kind", std::string(to_string(n.kind))},
                     {"id", ids.nodes.at(n.name)},
                     {"state", to_string(folded.nodes.at(n.name))},
                     {"findings", own},
                     {"kernel", kernel_json(observed(have, n.name))}});
  }
  for (const auto& [path, state] : folded.interfaces) {
    auto id = ids.interfaces.find(path);
    interfaces.push_back(
        {{"path", path}, {"id", id == ids.interfaces.end() ? "" : id->second}, {"state", to_string(state)}});
  }
  for (size_t i = 0; i < want.links.size(); ++i) {
    const Link& l = want.links[i];
    auto state_of = [&](const Endpoint& e) {
      auto it = folded.interfaces.find(e.node + "/" + e.iface);
      return it == folded.interfaces.end() ? Finding::State::missing : it->second;
    };
    links.push_back({{"a", l.a.str()},
                     {"b", l.b.str()},
                     {"id", ids.links[i]},
                     {"state", to_string(worse(state_of(l.a), state_of(l.b)))},
                     {"counters", {{"a", end_counters(have, l.a)}, {"b", end_counters(have, l.b)}}}});
  }
  return {{"lab", want.name},         {"converged", converged}, {"nodes", nodes},
          {"interfaces", interfaces}, {"links", links},         {"findings", findings}};
}

Expected<std::string> read_live_state(Kernel& kernel, const Topology& want) {
  auto memory = load_lab_state(want.name);
  if (!memory) return std::unexpected(memory.error());
  auto have = observe_lab(kernel, want, *memory);
  if (!have) return std::unexpected(have.error());
  return live_state_json(want, diff(want, *have, *memory), *have).dump();
}

} // namespace netlab
