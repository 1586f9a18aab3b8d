#pragma once
// Internal to validate(): one function per section of the file. The parse pass
// fills a Topology plus, in parallel, where each reference was written (Sources);
// the resolve pass then checks the references against the whole collection.
#include <netlab/topology/model.hpp>
#include <netlab/topology/validate_common.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netlab::vdetail {

/// Where an interface's references were written.
struct IfaceSrc {
  Mark name;
  bool kind_given = false;
  Mark kind;
  std::optional<Mark> master, parent, dev, impair;
  std::optional<Mark> vlans, vlan_filtering, shared;
  std::optional<Mark> created_in, rename_from; ///< the values of those keys
  std::vector<Mark> addresses; ///< parallel to Interface::addresses
};

/// Longest route text quoted whole in a message.
inline constexpr std::size_t k_route_text_max = 120;

/// "route 'default via 10.0.0.1'": a route written as `text`, as messages name it.
/// Made only for a message: quoting each of a large lab's routes on the way was a
/// fifth of validating them.
std::string route_named(const std::string& text);

/// Where a route was written, and its text for messages ("default via 10.0.0.1").
struct RouteSrc {
  bool ok = false; ///< parsed without error; only such routes are resolved
  std::string text;
  Mark to;
  std::optional<Mark> via, dev;
};

/// Parallel to Node: positions of what the resolve pass checks.
struct NodeSrc {
  bool addresses_ok = true; ///< false: some address was rejected, so reachability is not judged
  std::vector<IfaceSrc> ifaces; ///< parallel to Node::interfaces
  std::vector<RouteSrc> routes; ///< parallel to Node::routes
  std::optional<Mark> external_ref; ///< the value of an external node's netns/path/pid
  std::optional<Mark> host;         ///< the value of `host:`
};

/// Where a link's endpoints were written.
struct LinkSrc {
  bool ok = false; ///< both endpoints parsed
  Mark a, b;
  std::optional<Mark> vni; ///< the value of `vni:`
};

/// Where a check's node references were written.
struct CheckSrc {
  std::optional<Mark> from, listen, peer_is;
};

/// Where an exercise's references were written.
struct ExerciseSrc {
  std::vector<Mark> start_nodes;  ///< parallel to Exercise::start: the `node` value
  std::vector<CheckSrc> checks;   ///< parallel to Exercise::checks
};

/// Positions for the resolve pass, parallel to the Topology being built.
struct Sources {
  std::vector<NodeSrc> nodes;
  std::vector<LinkSrc> links;
  std::vector<CheckSrc> checks;
  std::vector<ExerciseSrc> exercises;
  std::optional<Mark> host_kind; ///< `kind: host` of the first host node
  /// Per machine (`host:` as written, "" for none): the first kind host node's index and `kind` mark.
  std::map<std::string, std::pair<std::size_t, Mark>, std::less<>> host_kinds;
  std::optional<Mark> hosts;     ///< the `hosts:` key
  std::vector<Mark> host_underlays; ///< parallel to Topology::hosts: the `underlay` value
  std::map<std::string, std::size_t, std::less<>> node_index; ///< node name -> index in Topology::nodes
};

/// Everything validate() builds while walking the file.
struct Ctx {
  Diags diags;
  Topology topo;
  Sources src;
};

/// The top-level mapping: name, version, message, nodes, links, checks.
void parse_top(Ctx& c, const RawNode& root);
/// The top-level `hosts:` mapping and `vxlan_port` (validate_hosts.cpp), read before `nodes`.
void parse_hosts(Ctx& c, const RawNode& root);
/// A node's `host:` (validate_hosts.cpp).
void parse_node_host(Ctx& c, Node& node, NodeSrc& src, const RawNode& map);
/// Machines of nodes, links between machines, VNIs, checks that cannot cross (validate_hosts.cpp).
void resolve_hosts(Ctx& c);
/// One entry of `nodes`.
void parse_node(Ctx& c, const RawNode& key, const RawNode& value);
/// One entry of a node's `interfaces`.
void parse_interface(Ctx& c, Node& node, NodeSrc& src, const RawNode& key, const RawNode& value);
/// An interface's `vlans` list (validate_vlans.cpp).
void parse_vlans(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map);
/// A bridge's own settings: `vlan_filtering`.
void parse_bridge_options(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map);
/// `vlans` needs a bridge with vlan_filtering: the interface's master, or itself.
void check_vlans(Ctx& c, const Node& node, const Interface& ifc, const IfaceSrc& src);
/// A node's `routes` list.
void parse_routes(Ctx& c, Node& node, NodeSrc& src, const Field& f);
/// A node's `nat` list.
void parse_nat(Ctx& c, Node& node, const Field& f);
/// The top-level `links` list.
void parse_links(Ctx& c, const Field& f);
/// The top-level `checks` list.
void parse_checks(Ctx& c, const Field& f);
/// The `exercises` list (validate_exercise.cpp).
void parse_exercises(Ctx& c, const Field& f);
/// Exercises' node, interface, route and NAT references, after every node is known.
void resolve_exercises(Ctx& c);


/// Cross-reference checks once everything is collected: links, masters, routes, checks.
void resolve(Ctx& c);

} // namespace netlab::vdetail
