#pragma once
// Kind-specific link settings over netlink: reading back what libnl parses
// (macvlan, vlan, vxlan) and what it does not (tun/tap and bridge attributes of
// IFLA_INFO_DATA, bridge port VLANs), and changing them on a live link.
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/state.hpp>

#include <string>
#include <vector>

#include <set>

namespace netlab {

/// Fills the macvlan, vlan and vxlan options of `out.links` from a link dump (parents by name).
void read_kind_options(nl_cache* links, ObservedNs& out);

/// Reads what libnl 3.7 does not parse: tun/tap owner and queues and bridge vlan_filtering
/// (one RTM_GETLINK per such link) and, with `bridge_vlans`, the VLANs of every bridge
/// port and bridge (one AF_BRIDGE dump). With `only`, just the links of those indexes.
Expected<void> read_link_details(NlSocket& sock, ObservedNs& out, bool bridge_vlans, const std::set<int>* only = nullptr);

/// Changes kind-specific settings of link `want.name` in place (RTM_NEWLINK without
/// NLM_F_CREATE, as `ip link set L type K ...`): macvlan mode, vxlan remote and local,
/// bridge vlan_filtering. tun/tap owners are not netlink's: see netns_tun.hpp.
NlExpected<void> change_link_options(NlSocket& sock, const Interface& want);

/// Adds or deletes VLANs of bridge port `link` (`self`: of the bridge device itself),
/// as `bridge vlan add|del`. Deleting a VLAN that is not there is not an error.
NlExpected<void> change_bridge_vlans(NlSocket& sock, const std::string& link, bool self,
                                     const std::vector<BridgeVlan>& vlans, bool add);

/// The VLANs in IFLA_AF_SPEC of an AF_BRIDGE link message (`spec` may be null: none);
/// a compressed range (RANGE_BEGIN, RANGE_END entries) is one BridgeVlan.
std::vector<BridgeVlan> parse_bridge_vlans(nlattr* spec);

/// Whether this kernel filters bridges by VLAN: makes a bridge with vlan_filtering in the
/// socket's namespace (a throwaway one) and deletes it.
bool bridge_vlan_filtering_available(NlSocket& sock);

} // namespace netlab
