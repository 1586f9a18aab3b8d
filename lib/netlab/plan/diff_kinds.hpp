#pragma once
// The kind-specific part of diff: which settings of a link's kind (macvlan mode,
// vxlan id, tun owner, bridge vlan_filtering...) differ between the file and the
// kernel, which of them the kernel changes on a live link and which need the
// link re-created, and the VLAN lists of bridge ports. Pure, like diff.
#include <netlab/kernel/state.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/topology/model.hpp>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace netlab {

/// One kind-specific setting whose kernel value differs from the file.
struct KindFieldDiff {
  std::string field; ///< "mode", "id", "remote", "user", "vlan_filtering", ...
  std::string want, have;
  bool in_place = false; ///< the kernel changes it on the live link; otherwise the link is re-created
  bool operator==(const KindFieldDiff&) const = default;
};

/// The settings of `want`'s kind that `have` does not match; empty when they agree.
/// tun/tap `user`/`group` given as names compare by name, as numbers by id.
std::vector<KindFieldDiff> kind_option_diffs(const Interface& want, const ObservedLink& have);

/// The settings of `want`'s kind that differ from `old` (both from the model): what a SetLinkOptions changes.
std::vector<KindFieldDiff> kind_option_changes(const Interface& want, const Interface& old);

/// The kernel's kind-specific settings as an Interface (name, kind, options): SetLinkOptions::old.
Interface options_of(const ObservedLink& have);

/// The options a link of `kind` has when created without any: the `old` of a fresh link's SetLinkOptions.
Interface default_options(const std::string& name, LinkKind kind);

/// True when `want` is a bridge whose settings differ from what the kernel creates.
bool has_non_default_options(const Interface& want);

/// "id 43, was 42; dstport 4790, was 4789": why a link is re-created.
std::string replace_reason(const std::vector<KindFieldDiff>& diffs);

/// The link an interface sits on: macvlan/vlan `parent`, vxlan `dev`.
std::optional<std::string> lower_link(const Interface& i);

/// Sorted, one entry per VLAN or per run of consecutive VLANs with the same flags (pvid alone).
std::vector<BridgeVlan> canonical_vlans(const std::vector<BridgeVlan>& vlans);
/// "1 pvid untagged, 10-20, 30 untagged"; "(none)" for an empty list.
std::string vlans_text(const std::vector<BridgeVlan>& vlans);
/// The VLANs to delete from `old` and to add (or re-flag) to reach `want`.
struct VlanChanges {
  std::vector<BridgeVlan> remove, add;
};
VlanChanges vlan_changes(const std::vector<BridgeVlan>& want, const std::vector<BridgeVlan>& old);
/// What a port (or the bridge device itself) has right after it joins a filtering bridge: VLAN 1, pvid untagged.
std::vector<BridgeVlan> default_vlans();

/// (node, link) pairs that `actions` delete, veth peers included.
std::set<std::pair<std::string, std::string>> deleted_links(const std::vector<Action>& actions);

/// True when something `want` keeps depends on a link in `gone` that is not in `known`:
/// a macvlan/vlan/vxlan on it, a port of it, or an observed route through it. Such a plan
/// must be recomputed knowing that those links go (they take their dependents with them).
bool depends_on_gone(const Topology& want, const Observed& have,
                     const std::set<std::pair<std::string, std::string>>& gone,
                     const std::set<std::pair<std::string, std::string>>& known);

} // namespace netlab
