#include <netlab/plan/diff_kinds.hpp>

#include <algorithm>
#include <charconv>
#include <map>

namespace netlab {

namespace {

using Diffs = std::vector<KindFieldDiff>;

std::string text_of(const std::optional<IpAddr>& a) {
  return a ? a->str() : "(none)";
}
std::string text_of(const std::optional<std::string>& s) {
  return s ? *s : "(none)";
}
std::string on_off(bool b) {
  return b ? "on" : "off";
}

void add_if(Diffs& out, bool differs, std::string field, std::string want, std::string have, bool in_place) {
  if (differs) out.push_back({std::move(field), std::move(want), std::move(have), in_place});
}

std::optional<uint32_t> numeric_id(const std::string& text) {
  uint32_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

/// An owner as the file gives it (name or number) against the kernel's id and its name.
bool owner_matches(const std::optional<std::string>& want, const std::optional<uint32_t>& id, const std::string& name) {
  if (!want) return !id;
  if (auto n = numeric_id(*want)) return id == n;
  return id && name == *want;
}

std::string owner_text(const std::optional<uint32_t>& id, const std::string& name) {
  if (!id) return "(none)";
  return name.empty() ? std::to_string(*id) : name;
}

/// An address the kernel changes in place only when it has one of the same family already.
void address_field(Diffs& out, const char* field, const std::optional<IpAddr>& want,
                   const std::optional<IpAddr>& have) {
  bool in_place = want && have && want->family == have->family;
  add_if(out, want != have, field, text_of(want), text_of(have), in_place);
}

void tun_diffs(Diffs& out, const TunOptions& want, const ObservedTun& have) {
  // TUNSETOWNER/TUNSETGROUP set an owner on a live device but cannot take it away again.
  add_if(out, !owner_matches(want.user, have.uid, have.user), "user", text_of(want.user),
         owner_text(have.uid, have.user), want.user.has_value());
  add_if(out, !owner_matches(want.group, have.gid, have.group), "group", text_of(want.group),
         owner_text(have.gid, have.group), want.group.has_value());
  add_if(out, want.multi_queue != have.multi_queue, "multi_queue", on_off(want.multi_queue), on_off(have.multi_queue),
         false);
}

void macvlan_diffs(Diffs& out, const MacvlanOptions& want, const MacvlanOptions& have) {
  add_if(out, want.parent != have.parent, "parent", want.parent, have.parent.empty() ? "(elsewhere)" : have.parent,
         false);
  // The kernel refuses to switch a macvlan into or out of passthru mode.
  bool in_place = want.mode != "passthru" && have.mode != "passthru";
  add_if(out, want.mode != have.mode, "mode", want.mode, have.mode, in_place);
}

void vlan_diffs(Diffs& out, const VlanOptions& want, const VlanOptions& have) {
  add_if(out, want.parent != have.parent, "parent", want.parent, have.parent.empty() ? "(elsewhere)" : have.parent,
         false);
  add_if(out, want.id != have.id, "id", std::to_string(want.id), std::to_string(have.id), false);
}

void vxlan_diffs(Diffs& out, const VxlanOptions& want, const VxlanOptions& have) {
  // "Cannot change VNI" and "Cannot change port": the kernel's own words for id and dstport.
  add_if(out, want.id != have.id, "id", std::to_string(want.id), std::to_string(have.id), false);
  address_field(out, "remote", want.remote, have.remote);
  address_field(out, "local", want.local, have.local);
  add_if(out, want.dstport != have.dstport, "dstport", std::to_string(want.dstport), std::to_string(have.dstport),
         false);
  add_if(out, want.dev != have.dev, "dev", text_of(want.dev), text_of(have.dev), false);
  // A socket lives in the namespace the device was created from, for good.
  auto socket_in = [](bool host) { return std::string(host ? "host namespace" : "node's namespace"); };
  add_if(out, want.underlay_host != have.underlay_host, "socket", socket_in(want.underlay_host),
         socket_in(have.underlay_host), false);
}

void bridge_diffs(Diffs& out, const BridgeOptions& want, const BridgeOptions& have) {
  add_if(out, want.vlan_filtering != have.vlan_filtering, "vlan_filtering", on_off(want.vlan_filtering),
         on_off(have.vlan_filtering), true);
}

/// The kernel's tun owner as the model writes it: its name when known, else the number.
TunOptions tun_options_of(const ObservedTun& t) {
  TunOptions o;
  if (t.uid) o.user = t.user.empty() ? std::to_string(*t.uid) : t.user;
  if (t.gid) o.group = t.group.empty() ? std::to_string(*t.gid) : t.group;
  o.multi_queue = t.multi_queue;
  return o;
}

/// The model's owner as ObservedTun: a name is kept as the name (its id is not known here).
ObservedTun observed_tun_of(const TunOptions& t) {
  ObservedTun o;
  auto fill = [](const std::optional<std::string>& text, std::optional<uint32_t>& id, std::string& name) {
    if (!text) return;
    id = numeric_id(*text);
    if (id) return;
    id = 0; // unknown id: owner_matches compares the name
    name = *text;
  };
  fill(t.user, o.uid, o.user);
  fill(t.group, o.gid, o.group);
  o.multi_queue = t.multi_queue;
  return o;
}

Diffs compare(const Interface& want, const Interface& have_opts, const ObservedTun* have_tun) {
  Diffs out;
  switch (want.kind) {
  case LinkKind::tun:
  case LinkKind::tap: {
    ObservedTun t = have_tun ? *have_tun : observed_tun_of(have_opts.tun.value_or(TunOptions{}));
    tun_diffs(out, want.tun.value_or(TunOptions{}), t);
    break;
  }
  case LinkKind::macvlan:
    macvlan_diffs(out, want.macvlan.value_or(MacvlanOptions{}), have_opts.macvlan.value_or(MacvlanOptions{}));
    break;
  case LinkKind::vlan:
    vlan_diffs(out, want.vlan.value_or(VlanOptions{}), have_opts.vlan.value_or(VlanOptions{}));
    break;
  case LinkKind::vxlan:
    vxlan_diffs(out, want.vxlan.value_or(VxlanOptions{}), have_opts.vxlan.value_or(VxlanOptions{}));
    break;
  case LinkKind::bridge:
    bridge_diffs(out, want.bridge.value_or(BridgeOptions{}), have_opts.bridge.value_or(BridgeOptions{}));
    break;
  default: break;
  }
  return out;
}

using VlanMap = std::map<uint16_t, std::pair<bool, bool>>; ///< id -> (pvid, untagged)

VlanMap vlan_map(const std::vector<BridgeVlan>& vlans) {
  VlanMap out;
  for (const auto& v : vlans)
    for (uint32_t id = v.id; id <= std::max(v.id, v.last); ++id)
      out[static_cast<uint16_t>(id)] = {v.pvid, v.untagged};
  return out;
}

} // namespace

Interface options_of(const ObservedLink& have) {
  Interface i;
  i.name = have.name;
  i.kind = have.kind;
  if (have.tun) i.tun = tun_options_of(*have.tun);
  i.macvlan = have.macvlan;
  i.vlan = have.vlan;
  i.vxlan = have.vxlan;
  i.bridge = have.bridge;
  return i;
}

Interface default_options(const std::string& name, LinkKind kind) {
  Interface i;
  i.name = name;
  i.kind = kind;
  if (kind == LinkKind::bridge) i.bridge = BridgeOptions{};
  return i;
}

bool has_non_default_options(const Interface& want) {
  return want.kind == LinkKind::bridge && want.bridge && *want.bridge != BridgeOptions{};
}

std::vector<KindFieldDiff> kind_option_diffs(const Interface& want, const ObservedLink& have) {
  if (want.kind != have.kind) return {};
  // A kernel that reports nothing for a kind (an old one) is not second-guessed.
  bool reported = (want.kind == LinkKind::tun || want.kind == LinkKind::tap) ? have.tun.has_value()
                  : want.kind == LinkKind::macvlan                           ? have.macvlan.has_value()
                  : want.kind == LinkKind::vlan                              ? have.vlan.has_value()
                  : want.kind == LinkKind::vxlan                             ? have.vxlan.has_value()
                  : want.kind == LinkKind::bridge                            ? have.bridge.has_value()
                                                                             : false;
  if (!reported) return {};
  return compare(want, options_of(have), have.tun ? &*have.tun : nullptr);
}

std::vector<KindFieldDiff> kind_option_changes(const Interface& want, const Interface& old) {
  return compare(want, old, nullptr);
}

std::string replace_reason(const std::vector<KindFieldDiff>& diffs) {
  std::string out;
  for (const auto& d : diffs) {
    if (d.in_place) continue;
    out += (out.empty() ? "" : "; ") + d.field + " " + d.want + ", was " + d.have;
  }
  return out;
}

std::optional<std::string> lower_link(const Interface& i) {
  if (i.kind == LinkKind::macvlan && i.macvlan && !i.macvlan->parent.empty()) return i.macvlan->parent;
  if (i.kind == LinkKind::vlan && i.vlan && !i.vlan->parent.empty()) return i.vlan->parent;
  if (i.kind == LinkKind::vxlan && i.vxlan && i.vxlan->dev) return i.vxlan->dev;
  return std::nullopt;
}

std::vector<BridgeVlan> canonical_vlans(const std::vector<BridgeVlan>& vlans) {
  std::vector<BridgeVlan> out;
  for (const auto& [id, flags] : vlan_map(vlans)) {
    auto [pvid, untagged] = flags;
    if (!out.empty() && !pvid && !out.back().pvid && out.back().untagged == untagged && out.back().last + 1 == id) {
      out.back().last = id;
      continue;
    }
    out.push_back(BridgeVlan{id, id, pvid, untagged});
  }
  return out;
}

std::string vlans_text(const std::vector<BridgeVlan>& vlans) {
  std::string out;
  for (const auto& v : vlans) {
    out += out.empty() ? "" : ", ";
    out += std::to_string(v.id);
    if (v.last != v.id) out.append("-").append(std::to_string(v.last));
    if (v.pvid) out += " pvid";
    if (v.untagged) out += " untagged";
  }
  return out.empty() ? "(none)" : out;
}

VlanChanges vlan_changes(const std::vector<BridgeVlan>& want, const std::vector<BridgeVlan>& old) {
  VlanMap w = vlan_map(want), o = vlan_map(old);
  VlanChanges out;
  for (const auto& [id, flags] : o)
    if (!w.contains(id)) out.remove.push_back(BridgeVlan{id, id, false, false});
  for (const auto& [id, flags] : w)
    if (auto it = o.find(id); it == o.end() || it->second != flags)
      out.add.push_back(BridgeVlan{id, id, flags.first, flags.second});
  out.remove = canonical_vlans(out.remove);
  out.add = canonical_vlans(out.add);
  return out;
}

std::vector<BridgeVlan> default_vlans() {
  return {BridgeVlan{1, 1, true, true}};
}

std::set<std::pair<std::string, std::string>> deleted_links(const std::vector<Action>& actions) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& a : actions) {
    const auto* d = action_if<DeleteLink>(a);
    if (!d) continue;
    out.emplace(d->ns.node, d->was.name);
    if (d->peer_ns && d->peer_was) out.emplace(d->peer_ns->node, d->peer_was->name);
  }
  return out;
}

bool depends_on_gone(const Topology& want, const Observed& have,
                     const std::set<std::pair<std::string, std::string>>& gone,
                     const std::set<std::pair<std::string, std::string>>& known) {
  if (gone.empty()) return false; // the plan deletes no link (an edit's, a status's)
  auto fresh = [&](const std::string& node, const std::optional<std::string>& link) {
    return link && gone.contains({node, *link}) && !known.contains({node, *link});
  };
  for (const auto& node : want.nodes) {
    for (const auto& i : node.interfaces)
      if (fresh(node.name, lower_link(i)) || fresh(node.name, i.master)) return true;
    auto it = have.nodes.find(node.name);
    if (it == have.nodes.end()) continue;
    for (const auto& r : it->second.routes)
      if (fresh(node.name, r.dev)) return true;
  }
  return false;
}

} // namespace netlab
