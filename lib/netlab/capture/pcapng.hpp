#pragma once
// pcapng (draft-ietf-opsawg-pcapng) as netlab writes it: one Section Header
// Block, one Interface Description Block per captured interface (if_name and
// if_description name "node:if", so Wireshark shows where a packet was seen),
// then one Enhanced Packet Block per packet. Host byte order, which the
// Section Header's byte-order magic declares. Pure functions over bytes.
#include <cstdint>
#include <span>
#include <string>

namespace netlab {

/// Which way a packet crossed the interface, as epb_flags bits 0-1 say.
enum class Direction : uint8_t { unknown = 0, in = 1, out = 2 };

/// The Section Header Block that starts a file (section length unknown).
std::string pcapng_section_header();

/// An Interface Description Block: link type (DLT), snap length, if_name,
/// if_description and if_tsresol 9 (timestamps in nanoseconds).
std::string pcapng_interface(uint16_t linktype, uint32_t snaplen, const std::string& name,
                             const std::string& description);

/// An Enhanced Packet Block for interface number `interface_id` (IDB order),
/// `ts_ns` nanoseconds since the epoch, `data` as captured, `orig_len` on the wire.
std::string pcapng_packet(uint32_t interface_id, uint64_t ts_ns, std::span<const uint8_t> data, uint32_t orig_len,
                          Direction direction);

} // namespace netlab
