// Interfaces: the common keys, then the options of each kind.
#include <netlab/topology/validate_sections.hpp>
#include <netlab/topology/validate_values.hpp>

#include <algorithm>
#include <array>

namespace netlab::vdetail {

namespace {

using namespace std::string_view_literals;

constexpr std::array<std::string_view, 8> k_iface_kinds{"veth", "bridge", "dummy", "tun",
                                                        "tap",  "macvlan", "vxlan", "vlan"};
constexpr std::array<LinkKind, 8> k_iface_kind_values{LinkKind::veth, LinkKind::bridge,  LinkKind::dummy,
                                                      LinkKind::tun,  LinkKind::tap,     LinkKind::macvlan,
                                                      LinkKind::vxlan, LinkKind::vlan};
constexpr std::array<std::string_view, 22> k_iface_keys{
    "kind",   "addresses", "mtu",  "mac",  "master", "state",  "impair", "vlans", "shared", "created_in", "rename_from",
    "user",   "group",
    "multi_queue", "parent", "mode", "id", "remote", "local", "dstport", "dev", "vlan_filtering"};
constexpr std::size_t k_common_key_count = 11; // the first eleven keys apply to every kind (shared, created_in, rename_from: checked in resolve)
constexpr std::array<std::string_view, 5> k_macvlan_modes{"private", "vepa", "bridge", "passthru", "source"};
constexpr std::array<std::string_view, 2> k_states{"up", "down"};

// The kind-specific keys each kind accepts.
bool key_fits_kind(std::string_view key, LinkKind kind) {
  switch (kind) {
  case LinkKind::tun:
  case LinkKind::tap: return key == "user" || key == "group" || key == "multi_queue";
  case LinkKind::macvlan: return key == "parent" || key == "mode";
  case LinkKind::vlan: return key == "parent" || key == "id";
  case LinkKind::vxlan: return key == "id" || key == "remote" || key == "local" || key == "dstport" || key == "dev";
  case LinkKind::bridge: return key == "vlan_filtering";
  default: return false;
  }
}

std::string iface_text(const Interface& i) { return "interface " + quoted(i.name); }

void check_kind_keys(Ctx& c, const Interface& ifc, const RawNode& map) {
  if (ifc.kind == LinkKind::other) return;
  auto common_end = k_iface_keys.begin() + k_common_key_count;
  for (const auto& [k, v] : map.entries) {
    if (!k.is_scalar() || std::find(k_iface_keys.begin(), k_iface_keys.end(), k.scalar) == k_iface_keys.end()) continue;
    if (std::find(k_iface_keys.begin(), common_end, k.scalar) != common_end || key_fits_kind(k.scalar, ifc.kind)) continue;
    c.diags.error(k.mark, "key " + quoted(k.scalar) + " is not valid for an interface of kind " +
                              std::string(to_string(ifc.kind)));
  }
}

void parse_kind(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  auto f = field(map, "kind");
  if (!f) return;
  src.kind_given = true;
  src.kind = f->mark;
  auto kind = read_choice(c.diags, *f, k_iface_kinds);
  if (!kind) return void(ifc.kind = LinkKind::other); // reported; keeps kind checks from piling on
  auto at = std::find(k_iface_kinds.begin(), k_iface_kinds.end(), *kind) - k_iface_kinds.begin();
  ifc.kind = k_iface_kind_values[static_cast<std::size_t>(at)];
}

void parse_addresses(Ctx& c, Interface& ifc, IfaceSrc& src, NodeSrc& node_src, const RawNode& map) {
  auto f = field(map, "addresses");
  if (!f) return;
  const RawNode* list = read_sequence(c.diags, *f);
  if (!list) return void(node_src.addresses_ok = false);
  for (const auto& item : list->items) {
    auto addr = item.is_scalar() ? take(c.diags, item.mark, parse_interface_address(item.scalar)) : std::nullopt;
    if (!item.is_scalar()) c.diags.error(item.mark, "an address must be a string like '10.0.0.1/24', got " + describe(item));
    if (!addr) {
      node_src.addresses_ok = false;
      continue;
    }
    ifc.addresses.push_back(*addr);
    src.addresses.push_back(item.mark);
  }
}

void parse_settings(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  if (auto f = field(map, "mtu"))
    if (auto mtu = read_int(c.diags, *f, 68, 65535)) ifc.mtu = static_cast<uint32_t>(*mtu);
  if (auto f = field(map, "mac"))
    if (auto text = read_string(c.diags, *f)) ifc.mac = take(c.diags, f->mark, parse_mac(*text));
  if (auto f = field(map, "master")) {
    ifc.master = read_ifname(c.diags, *f);
    src.master = f->mark;
  }
  if (auto f = field(map, "state"))
    if (auto s = read_choice(c.diags, *f, k_states)) ifc.up = *s == "up";
  if (auto f = field(map, "impair")) {
    ifc.impair = read_impairment(c.diags, *f);
    src.impair = f->mark;
  }
  if (auto f = field(map, "shared")) {
    ifc.shared = read_bool(c.diags, *f).value_or(false);
    if (ifc.shared) src.shared = f->mark;
  }
  if (auto f = field(map, "created_in")) {
    if (auto node = read_string(c.diags, *f)) ifc.created_in = *node;
    src.created_in = f->mark;
  }
  if (auto f = field(map, "rename_from")) {
    ifc.rename_from = read_ifname(c.diags, *f);
    src.rename_from = f->mark;
  }
}

void parse_tun(Ctx& c, Interface& ifc, const RawNode& map) {
  TunOptions tun;
  auto owner = [&](std::string_view key) -> std::optional<std::string> {
    auto f = field(map, key);
    auto text = f ? read_string(c.diags, *f) : std::nullopt;
    bool plain = text && !text->empty() && std::all_of(text->begin(), text->end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
    });
    if (text && !plain) c.diags.error(f->mark, "'" + std::string(key) + "' must be a name or a number, got " + quoted(*text));
    return plain ? text : std::nullopt;
  };
  tun.user = owner("user");
  tun.group = owner("group");
  if (auto f = field(map, "multi_queue")) tun.multi_queue = read_bool(c.diags, *f).value_or(false);
  ifc.tun = tun;
}

// `parent` of macvlan and vlan: required, an interface name.
std::string parse_parent(Ctx& c, const Interface& ifc, IfaceSrc& src, const RawNode& map) {
  auto f = field(map, "parent");
  if (!f) {
    c.diags.error(ifc.mark, std::string(to_string(ifc.kind)) + " " + iface_text(ifc) + " needs a 'parent' interface");
    return {};
  }
  src.parent = f->mark;
  return read_ifname(c.diags, *f).value_or("");
}

void parse_macvlan(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  MacvlanOptions mv;
  mv.parent = parse_parent(c, ifc, src, map);
  if (auto f = field(map, "mode"))
    if (auto mode = read_choice(c.diags, *f, k_macvlan_modes)) mv.mode = *mode;
  ifc.macvlan = mv;
}

void parse_vlan(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  VlanOptions vlan;
  vlan.parent = parse_parent(c, ifc, src, map);
  auto f = field(map, "id");
  if (!f) c.diags.error(ifc.mark, "vlan " + iface_text(ifc) + " needs an 'id' (1..4094)");
  if (f)
    if (auto id = read_int(c.diags, *f, 1, 4094)) vlan.id = static_cast<uint16_t>(*id);
  ifc.vlan = vlan;
}

void parse_vxlan(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  VxlanOptions vx;
  auto id = field(map, "id");
  if (!id) c.diags.error(ifc.mark, "vxlan " + iface_text(ifc) + " needs an 'id' (the VNI, 0..16777215)");
  if (id)
    if (auto vni = read_int(c.diags, *id, 0, 16777215)) vx.id = static_cast<uint32_t>(*vni);
  if (auto f = field(map, "remote")) vx.remote = read_ip(c.diags, *f);
  if (auto f = field(map, "local")) vx.local = read_ip(c.diags, *f);
  if (vx.remote && vx.local && vx.remote->family != vx.local->family)
    c.diags.error(field(map, "local")->mark, "'local' and 'remote' must be of the same address family");
  if (auto f = field(map, "dstport"))
    if (auto port = read_int(c.diags, *f, 1, 65535)) vx.dstport = static_cast<uint16_t>(*port);
  if (auto f = field(map, "dev")) {
    vx.dev = read_ifname(c.diags, *f);
    src.dev = f->mark;
  }
  ifc.vxlan = vx;
}

void parse_kind_options(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  switch (ifc.kind) {
  case LinkKind::tun:
  case LinkKind::tap: return parse_tun(c, ifc, map);
  case LinkKind::macvlan: return parse_macvlan(c, ifc, src, map);
  case LinkKind::vlan: return parse_vlan(c, ifc, src, map);
  case LinkKind::vxlan: return parse_vxlan(c, ifc, src, map);
  case LinkKind::bridge: return parse_bridge_options(c, ifc, src, map);
  default: return;
  }
}

void parse_interface_body(Ctx& c, Interface& ifc, IfaceSrc& src, NodeSrc& node_src, const RawNode& map) {
  check_keys(c.diags, map, k_iface_keys);
  parse_kind(c, ifc, src, map);
  check_kind_keys(c, ifc, map);
  parse_addresses(c, ifc, src, node_src, map);
  parse_settings(c, ifc, src, map);
  parse_kind_options(c, ifc, src, map);
  parse_vlans(c, ifc, src, map);
}

} // namespace

void parse_interface(Ctx& c, Node& node, NodeSrc& src, const RawNode& key, const RawNode& value) {
  Interface ifc;
  ifc.name = key.scalar;
  ifc.mark = key.mark;
  IfaceSrc isrc;
  isrc.name = key.mark;
  if (key.scalar == "lo" && value.is_mapping() && (field(value, "created_in") || field(value, "rename_from")))
    return c.diags.error(field(value, "created_in") ? field(value, "created_in")->mark : field(value, "rename_from")->mark,
                         "'lo' cannot move between namespaces: every namespace has its own loopback, and the kernel "
                         "refuses to move it (NETIF_F_NETNS_LOCAL: `ip link set lo netns ns1` fails with "
                         "\"The interface netns is immutable\", \"Invalid argument\" on older kernels)");
  if (key.scalar == "lo")
    return c.diags.error(key.mark, "interface 'lo' cannot be declared: use 'loopback: up|down' on the node");
  if (auto problem = ifname_problem(key.scalar)) c.diags.error(key.mark, *problem);
  if (value.is_mapping())
    parse_interface_body(c, ifc, isrc, src, value);
  else if (!value.is_null())
    c.diags.error(value.mark, iface_text(ifc) + " must be a mapping, got " + describe(value));
  node.interfaces.push_back(std::move(ifc));
  src.ifaces.push_back(std::move(isrc));
}

} // namespace netlab::vdetail
