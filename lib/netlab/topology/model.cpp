#include <netlab/topology/model.hpp>

namespace netlab {

std::string_view to_string(LinkKind k) {
  switch (k) {
  case LinkKind::veth: return "veth";
  case LinkKind::bridge: return "bridge";
  case LinkKind::dummy: return "dummy";
  case LinkKind::tun: return "tun";
  case LinkKind::tap: return "tap";
  case LinkKind::macvlan: return "macvlan";
  case LinkKind::vxlan: return "vxlan";
  case LinkKind::vlan: return "vlan";
  case LinkKind::loopback: return "loopback";
  case LinkKind::other: return "other";
  }
  return "other";
}

std::string_view to_string(NodeKind k) {
  switch (k) {
  case NodeKind::netns: return "netns";
  case NodeKind::host: return "host";
  case NodeKind::external: return "external";
  }
  return "netns";
}

const Interface* Node::find_interface(std::string_view n) const {
  for (const auto& i : interfaces)
    if (i.name == n) return &i;
  return nullptr;
}

const Node* Topology::find_node(std::string_view n) const {
  for (const auto& node : nodes)
    if (node.name == n) return &node;
  return nullptr;
}

const Node* Topology::find_node_as_written(std::string_view n) const {
  for (const auto& node : nodes)
    if (node.as_written() == n) return &node;
  return find_node(n);
}

const Node* Topology::host_node() const {
  for (const auto& node : nodes)
    if (node.kind == NodeKind::host) return &node;
  return nullptr;
}

const LabMachine* Topology::find_host(std::string_view n) const {
  for (const auto& m : hosts)
    if (m.name == n) return &m;
  return nullptr;
}

} // namespace netlab
