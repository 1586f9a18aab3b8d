#pragma once
// Labs that span machines (docs/multi-host.md): a pure pass that turns a valid
// multi-host Topology into the part one machine converges.
//
// The rule:
// - a machine's part keeps the nodes whose `host:` is that machine, the links
//   between two of them, and the checks whose `from` is one of them;
// - a link with one end here and one on another machine becomes, on each side, a
//   vxlan under the name the file gives the end: VNI from link_vnis(), remote the
//   other machine's underlay, local this one's, UDP port `vxlan_port`, and its
//   socket in the machine's host namespace (VxlanOptions::underlay_host: created
//   there, moved into the node), so the node needs no route to the underlay;
// - its MTU is the file's, or the underlay's minus the VXLAN overhead
//   (k_vxlan_overhead_v4/_v6), so a full-size frame of the node still fits one
//   underlay packet; a file MTU above that is kept, with a warning.
// - a bridge spans machines through such links: a node on another machine joins
//   a bridge with a link whose end here is one of the bridge's ports, so every
//   remote port is its own point-to-point vxlan (traffic between two remote
//   machines crosses the bridge's machine).
// Everything after this pass (diff, apply, status, test) sees a plain lab.
#include <netlab/topology/model.hpp>

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// VNIs netlab allocates lie in [k_vni_first, k_vni_last]; below it is left to
/// the file (`kind: vxlan` ids, a link's own `vni:`).
inline constexpr uint32_t k_vni_first = 1u << 20;    // 1048576
inline constexpr uint32_t k_vni_last = (1u << 24) - 1; // 16777215, the largest VNI
/// Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8) headers.
inline constexpr uint32_t k_vxlan_overhead_v4 = 50;
/// The same over IPv6 (40-byte header).
inline constexpr uint32_t k_vxlan_overhead_v6 = 70;
/// The underlay MTU assumed when a machine does not give `underlay_mtu`.
inline constexpr uint32_t k_underlay_mtu_default = 1500;

/// Whether the link's ends sit on different machines.
bool crosses_machines(const Topology& topo, const Link& link);

/// The VNI of every link between machines, by index into topo.links: its own
/// `vni:`, else a hash of lab name and its sorted endpoints into
/// [k_vni_first, k_vni_last]; a hash already taken (by the file or an earlier
/// link in the order of their endpoint text) moves to the next free VNI. The same
/// file gives the same VNIs on every machine and every run.
std::map<std::size_t, uint32_t> link_vnis(const Topology& topo);

/// The machine of node `node` ("" when the node is unknown or the file names no machines).
std::string machine_of(const Topology& topo, std::string_view node);

/// One machine's part of a lab and what the pass had to say about it.
struct HostPart {
  Topology topo;
  std::vector<std::string> warnings; ///< e.g. a file MTU that does not fit the underlay
};

/// The part of `topo` that machine `host` converges (see above). Fails, naming
/// the machines there are, for a machine the file does not name.
std::expected<HostPart, std::string> for_host(const Topology& topo, std::string_view host);

/// The Ansible inventory of the file's machines as YAML: group `netlab`, each
/// host with its ansible_* keys and `netlab_underlay`.
std::string inventory_yaml(const Topology& topo);

} // namespace netlab
