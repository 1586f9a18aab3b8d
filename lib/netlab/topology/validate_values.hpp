#pragma once
// Internal to validate(): parsers for the value syntaxes of the format (MAC, rates,
// durations, percentages, "ADDR:PORT", port ranges). Each failure is a full message.
#include <netlab/topology/model.hpp>
#include <netlab/topology/validate_common.hpp>
#include <netlab/util/ip.hpp>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace netlab::vdetail {

/// A parsed value, or the message explaining why the text is not one.
template <class T> using Parsed = std::expected<T, std::string>;

/// Records a failed parse at `at`; the value otherwise.
template <class T> std::optional<T> take(Diags& d, Mark at, Parsed<T> p) {
  if (p) return std::move(*p);
  d.error(at, std::move(p.error()));
  return std::nullopt;
}

/// An interface address: "10.0.0.1/24" or "2001:db8::1/64", prefix required.
Parsed<Cidr> parse_interface_address(std::string_view text);
/// A destination or source prefix: "10.0.0.0/24" (`allow_bare`: "10.0.0.1" = /32), host bits clear.
Parsed<Cidr> parse_prefix(std::string_view what, std::string_view text, bool allow_bare);
/// A unicast MAC "aa:bb:cc:dd:ee:ff" in any case; returns it lower-case.
Parsed<std::string> parse_mac(std::string_view text);
/// "10mbit", "1.5gbit", "64000" (bit/s) -> bits per second, 8kbit..16gbit.
Parsed<uint64_t> parse_rate(std::string_view key, std::string_view text);
/// "10ms", "250us", "1.5s" -> microseconds, at most 60 s.
Parsed<uint32_t> parse_delay(std::string_view key, std::string_view text);
/// "1%", "0.5", "100" -> percent in [0, 100].
Parsed<double> parse_percent(std::string_view key, std::string_view text);
/// A check timeout: "2", "2s", "500ms" -> seconds in (0, 3600].
Parsed<double> parse_timeout(std::string_view key, std::string_view text);

/// An address with an optional port.
struct HostPort {
  IpAddr addr;
  std::optional<uint16_t> port;
};
/// "ADDR", "ADDR:PORT" or "[V6ADDR]:PORT" (`port_required`: no bare ADDR).
Parsed<HostPort> parse_host_port(std::string_view key, std::string_view text, bool port_required);
/// "N" or "N-M" with 1 <= N <= M <= 65535.
Parsed<std::pair<uint16_t, uint16_t>> parse_port_range(std::string_view key, std::string_view text);

/// The `impair` mapping of an interface or link; nullopt when empty or wrong.
std::optional<Impairment> read_impairment(Diags& d, const Field& f);

} // namespace netlab::vdetail
