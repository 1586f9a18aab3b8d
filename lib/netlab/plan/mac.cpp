#include <netlab/plan/mac.hpp>

#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace netlab {

namespace {

constexpr uint64_t k_fnv_offset = 0xcbf29ce484222325ULL;
constexpr uint64_t k_fnv_prime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= k_fnv_prime;
  }
  return h;
}

} // namespace

bool gets_derived_mac(const Interface& iface) {
  switch (iface.kind) {
  case LinkKind::veth:
  case LinkKind::bridge:
  case LinkKind::dummy:
  case LinkKind::tap:
  case LinkKind::vxlan: return true;
  case LinkKind::macvlan: return !iface.macvlan || iface.macvlan->mode != "passthru";
  default: return false;
  }
}

std::string derived_mac(std::string_view lab, std::string_view node, std::string_view iface, unsigned attempt) {
  using namespace std::string_view_literals;
  uint64_t h = fnv1a(k_fnv_offset, lab);
  h = fnv1a(fnv1a(h, "\0"sv), node);
  h = fnv1a(fnv1a(h, "\0"sv), iface);
  if (attempt > 0) h = fnv1a(fnv1a(h, "\0"sv), std::to_string(attempt));
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string mac = "02";
  for (int i = 0; i < 5; ++i) {
    auto byte = static_cast<unsigned>((h >> (56 - 8 * i)) & 0xff);
    mac += ':';
    mac += k_hex[byte >> 4];
    mac += k_hex[byte & 0xf];
  }
  return mac;
}

namespace {

std::string mac_key(std::string_view node, std::string_view iface) {
  std::string key;
  key.reserve(node.size() + 1 + iface.size());
  key.append(node).push_back('\0');
  key.append(iface);
  return key;
}

} // namespace

LabMacs::LabMacs(const Topology& topo) {
  std::unordered_set<std::string> used;
  std::vector<std::pair<std::string_view, std::string_view>> derive;
  for (const auto& node : topo.nodes)
    for (const auto& iface : node.interfaces) {
      if (iface.mac) {
        m_macs[mac_key(node.name, iface.name)] = *iface.mac;
        used.insert(*iface.mac);
      } else if (gets_derived_mac(iface)) {
        derive.emplace_back(node.name, iface.name);
      }
    }
  std::ranges::sort(derive); // perturbation follows names, not file order
  m_macs.reserve(m_macs.size() + derive.size());
  for (const auto& [node, iface] : derive) {
    std::string mac = derived_mac(topo.name, node, iface);
    for (unsigned attempt = 1; used.contains(mac); ++attempt) mac = derived_mac(topo.name, node, iface, attempt);
    used.insert(mac);
    m_macs[mac_key(node, iface)] = std::move(mac);
  }
}

std::optional<std::string> LabMacs::of(std::string_view node, std::string_view iface) const {
  auto it = m_macs.find(mac_key(node, iface));
  if (it == m_macs.end()) return std::nullopt;
  return it->second;
}

} // namespace netlab
