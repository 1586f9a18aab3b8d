#include <netlab/capture/targets.hpp>
#include <netlab/util/escape.hpp>
#include <netlab/util/netns.hpp>
#include <netlab/util/suggest.hpp>

#include <algorithm>
#include <string_view>

namespace netlab {

namespace {

std::vector<std::string_view> node_names(const Topology& topo) {
  std::vector<std::string_view> names;
  for (const auto& n : topo.nodes)
    names.push_back(n.as_written());
  return names;
}

std::vector<std::string_view> interface_names(const Node& node) {
  std::vector<std::string_view> names;
  for (const auto& i : node.interfaces)
    names.push_back(i.name);
  names.push_back("lo");
  return names;
}

CaptureTarget target_of(const Node& node, const std::string& iface) {
  const Interface* i = node.find_interface(iface);
  return CaptureTarget{node.name, iface, ns_ref_for(node), i ? i->peer : std::nullopt};
}

/// The targets one word names.
Expected<std::vector<CaptureTarget>> targets_of(const Topology& topo, const std::string& word) {
  const auto colon = word.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == word.size())
    return fail("'" + escape_for_terminal(word) +
                    "' is not NODE:IF (e.g. ns1:veth1, or ns1:* for all of a node's interfaces)",
                ExitCode::usage);
  const std::string node_name = word.substr(0, colon), iface = word.substr(colon + 1);
  const Node* node = topo.find_node_as_written(node_name);
  if (!node)
    return fail("lab '" + topo.name + "' has no node '" + escape_for_terminal(node_name) + "'" +
                    did_you_mean(node_name, node_names(topo)),
                ExitCode::usage);
  std::vector<CaptureTarget> out;
  if (iface == "*") {
    for (const auto& i : node->interfaces)
      out.push_back(target_of(*node, i.name));
    if (out.empty()) return fail("node '" + node->name + "' declares no interfaces to capture on", ExitCode::usage);
    return out;
  }
  if (iface != "lo" && !node->find_interface(iface))
    return fail("node '" + node->name + "' has no interface '" + escape_for_terminal(iface) + "'" +
                    did_you_mean(iface, interface_names(*node)),
                ExitCode::usage);
  out.push_back(target_of(*node, iface));
  return out;
}

void add_unique(std::vector<CaptureTarget>& all, CaptureTarget t) {
  const bool seen = std::ranges::any_of(all, [&](const CaptureTarget& o) { return o.where() == t.where(); });
  if (!seen) all.push_back(std::move(t));
}

} // namespace

Expected<std::vector<CaptureTarget>> resolve_capture_targets(const Topology& topo,
                                                             const std::vector<std::string>& words, BothEnds both) {
  std::vector<CaptureTarget> all;
  for (const auto& word : words) {
    auto found = targets_of(topo, word);
    if (!found) return std::unexpected(found.error());
    for (auto& t : *found) {
      std::optional<Endpoint> peer = t.peer;
      add_unique(all, std::move(t));
      if (both == BothEnds::no || !peer) continue;
      if (const Node* pn = topo.find_node(peer->node)) add_unique(all, target_of(*pn, peer->iface));
    }
  }
  return all;
}

std::string capture_description(const std::string& lab, const CaptureTarget& t) {
  std::string d = t.where() + " (lab " + lab;
  if (t.peer) d += ", veth to " + t.peer->str();
  return d + ")";
}

} // namespace netlab
