#pragma once
// Stable MAC addresses: every link netlab creates gets one derived from its lab,
// node and name, so a link made again (by `up` after a repair) has the MAC its
// neighbours remember, and a bridge keeps its MAC when ports come and go.
#include <netlab/topology/model.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace netlab {

/// Whether a link of this kind gets a derived MAC when the file sets none: not a
/// tun (no link-layer address), a vlan (it shares its parent's) or a passthru
/// macvlan (the kernel gives it its parent's, and setting it would change the parent's).
bool gets_derived_mac(const Interface& iface);

/// "02:" then the first five bytes of the FNV-1a 64-bit hash of
/// "<lab>\0<node>\0<iface>" (with "\0<attempt>" appended when attempt > 0):
/// locally administered, unicast, the same on every machine and every run.
std::string derived_mac(std::string_view lab, std::string_view node, std::string_view iface, unsigned attempt = 0);

/// The MAC each link of a lab is created with, distinct within the lab: the file's
/// `mac`, else derived_mac(). A derived MAC that another link already has (a
/// file's `mac`, or a derived one earlier in (node, interface) name order) is
/// derived again with attempt 1, 2, ...: the result depends only on the names.
class LabMacs {
public:
  explicit LabMacs(const Topology& topo);
  /// The MAC to create `iface` of `node` with; nullopt: the kernel picks (or the kind has none).
  std::optional<std::string> of(std::string_view node, std::string_view iface) const;

private:
  /// "node\0iface" -> mac: hashed, as a diff builds this anew for every link of the lab.
  std::unordered_map<std::string, std::string> m_macs;
};

} // namespace netlab
