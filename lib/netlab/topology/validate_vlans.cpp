// Bridge VLAN filtering: a bridge's `vlan_filtering` and the `vlans` list of its
// ports, as `bridge vlan add dev P vid ID[-LAST] [pvid] [untagged]`.
#include <netlab/topology/validate_sections.hpp>
#include <netlab/topology/validate_values.hpp>

#include <array>
#include <map>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 3> k_vlan_keys{"id", "pvid", "untagged"};
constexpr std::string_view k_vlan_forms = "a VLAN is ID, \"FIRST-LAST\", optionally followed by 'pvid' and 'untagged', "
                                          "or a mapping {id, pvid, untagged}";

std::string at_text(Mark m) {
  return std::to_string(m.line) + ":" + std::to_string(m.col);
}

Parsed<uint16_t> parse_vid(std::string_view text) {
  auto n = parse_unsigned(text);
  if (!n) return std::unexpected("'" + std::string(text) + "' is not a VLAN id; " + std::string(k_vlan_forms));
  if (*n < 1 || *n > 4094) return std::unexpected("VLAN id must be between 1 and 4094, got " + std::string(text));
  return static_cast<uint16_t>(*n);
}

/// "10" or "10-20".
Parsed<BridgeVlan> parse_range(std::string_view text) {
  auto dash = text.find('-');
  auto first = parse_vid(text.substr(0, dash));
  if (!first) return std::unexpected(first.error());
  BridgeVlan v{*first, *first, false, false};
  if (dash == std::string_view::npos) return v;
  auto last = parse_vid(text.substr(dash + 1));
  if (!last) return std::unexpected(last.error());
  if (*last < *first) return std::unexpected("VLAN range '" + std::string(text) + "' runs backwards");
  v.last = *last;
  return v;
}

/// "10", "10-20 untagged", "10 pvid untagged".
Parsed<BridgeVlan> parse_vlan_text(std::string_view text) {
  auto words = words_of(text);
  if (words.empty()) return std::unexpected(std::string(k_vlan_forms) + ", got an empty string");
  auto v = parse_range(words[0]);
  if (!v) return v;
  for (std::size_t i = 1; i < words.size(); ++i) {
    bool* flag = words[i] == "pvid" ? &v->pvid : words[i] == "untagged" ? &v->untagged : nullptr;
    if (!flag)
      return std::unexpected("unknown word '" + std::string(words[i]) + "' in VLAN '" + std::string(text) +
                             "' (expected pvid or untagged)");
    if (*flag)
      return std::unexpected("'" + std::string(words[i]) + "' is given twice in VLAN '" + std::string(text) + "'");
    *flag = true;
  }
  return v;
}

std::optional<BridgeVlan> parse_vlan_map(Diags& d, const RawNode& item) {
  check_keys(d, item, k_vlan_keys);
  auto id = field(item, "id");
  if (!id) return d.error(item.mark, "a VLAN mapping needs 'id' (1..4094 or \"FIRST-LAST\")"), std::nullopt;
  auto text = read_string(d, *id);
  auto v = text ? take(d, id->mark, parse_range(*text)) : std::nullopt;
  if (!v) return std::nullopt;
  if (auto f = field(item, "pvid")) v->pvid = read_bool(d, *f).value_or(false);
  if (auto f = field(item, "untagged")) v->untagged = read_bool(d, *f).value_or(false);
  return v;
}

std::optional<BridgeVlan> parse_vlan_item(Diags& d, const RawNode& item) {
  if (item.is_mapping()) return parse_vlan_map(d, item);
  if (!item.is_scalar()) return d.error(item.mark, std::string(k_vlan_forms) + ", got " + describe(item)), std::nullopt;
  return take(d, item.mark, parse_vlan_text(item.scalar));
}

/// One pvid per port, each VLAN once, pvid never on a range.
bool check_vlan(Diags& d, const Interface& ifc, const BridgeVlan& v, Mark at, std::map<uint16_t, Mark>& seen,
                std::optional<std::pair<uint16_t, Mark>>& pvid) {
  if (v.pvid && v.last != v.id)
    return d.error(at,
                   "'pvid' needs a single VLAN, not the range " + std::to_string(v.id) + "-" + std::to_string(v.last)),
           false;
  if (v.pvid && pvid)
    return d.error(at, "interface " + quoted(ifc.name) + " has two pvids: " + std::to_string(pvid->first) + " (at " +
                           at_text(pvid->second) + ") and " + std::to_string(v.id)),
           false;
  for (uint32_t id = v.id; id <= v.last; ++id)
    if (auto [it, inserted] = seen.emplace(static_cast<uint16_t>(id), at); !inserted)
      return d.error(at, "VLAN " + std::to_string(id) + " is listed twice for interface " + quoted(ifc.name) +
                             " (also at " + at_text(it->second) + ")"),
             false;
  if (v.pvid) pvid = std::pair{v.id, at};
  return true;
}

} // namespace

void parse_vlans(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  auto f = field(map, "vlans");
  if (!f) return;
  src.vlans = f->mark;
  const RawNode* list = read_sequence(c.diags, *f);
  if (!list) return;
  std::vector<BridgeVlan> vlans;
  std::map<uint16_t, Mark> seen;
  std::optional<std::pair<uint16_t, Mark>> pvid;
  for (const auto& item : list->items) {
    auto v = parse_vlan_item(c.diags, item);
    if (v && check_vlan(c.diags, ifc, *v, item.mark, seen, pvid)) vlans.push_back(*v);
  }
  ifc.vlans = std::move(vlans);
}

void parse_bridge_options(Ctx& c, Interface& ifc, IfaceSrc& src, const RawNode& map) {
  BridgeOptions b;
  if (auto f = field(map, "vlan_filtering")) {
    b.vlan_filtering = read_bool(c.diags, *f).value_or(false);
    src.vlan_filtering = f->mark;
  }
  ifc.bridge = b;
}

void check_vlans(Ctx& c, const Node& node, const Interface& ifc, const IfaceSrc& src) {
  if (!src.vlans) return;
  const std::string what = "interface " + quoted(ifc.name) + ": 'vlans' ";
  if (ifc.kind == LinkKind::bridge) {
    if (!ifc.bridge || !ifc.bridge->vlan_filtering)
      c.diags.error(*src.vlans, "bridge " + quoted(ifc.name) + ": 'vlans' (its own VLANs) needs vlan_filtering: true");
    return;
  }
  if (!ifc.master) return c.diags.error(*src.vlans, what + "needs a 'master' bridge with vlan_filtering: true");
  const Interface* bridge = node.find_interface(*ifc.master);
  if (!bridge || bridge->kind != LinkKind::bridge) return; // the master itself is reported
  if (!bridge->bridge || !bridge->bridge->vlan_filtering)
    c.diags.error(*src.vlans, what + "needs vlan_filtering: true on its bridge " + quoted(bridge->name));
}

} // namespace netlab::vdetail
