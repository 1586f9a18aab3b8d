#pragma once
// One line per packet for `netlab capture` without -w: what tcpdump -n would
// say, shorter. Pure functions over the captured bytes.
#include <netlab/capture/pcapng.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace netlab {

/// Link types (DLT_*) the summary decodes; others print as "linktype N, LEN bytes".
inline constexpr uint16_t k_dlt_ethernet = 1;   ///< DLT_EN10MB (veth, bridge, tap, lo)
inline constexpr uint16_t k_dlt_raw = 12;       ///< DLT_RAW on Linux (tun): an IP packet
inline constexpr uint16_t k_linktype_raw = 101; ///< LINKTYPE_RAW, the same in a file

/// "ICMP 10.0.1.1 > 10.0.1.2 echo request id 7 seq 1", "TCP 10.0.1.1:40000 > 10.0.1.2:80 [S]",
/// "UDP [fd00::1]:5353 > [fd00::2]:53", "ARP who-has 10.0.1.2 tell 10.0.1.1",
/// "ARP 10.0.1.2 is-at 02:00:00:00:00:02"; what it cannot decode says so.
std::string summarize_packet(uint16_t linktype, std::span<const uint8_t> data);

/// "in", "out" or "-".
std::string_view to_string(Direction d);

/// "HH:MM:SS.uuuuuu" of `ts_ns` (nanoseconds since the epoch) in local time.
std::string format_capture_time(uint64_t ts_ns);

/// "TIME WHERE DIR SUMMARY", WHERE padded to `where_width` so columns line up.
std::string format_packet_line(const std::string& time, const std::string& where, size_t where_width, Direction d,
                               const std::string& summary);

} // namespace netlab
