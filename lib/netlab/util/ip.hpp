#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netlab {

/// Address family of an IpAddr / Cidr.
enum class Family : uint8_t { v4, v6 };

/// An IPv4 or IPv6 address as raw network-order bytes (v4 uses the first 4).
struct IpAddr {
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};

  static std::optional<IpAddr> parse(std::string_view text);
  std::string str() const;
  int bits() const { return family == Family::v4 ? 32 : 128; }
  int byte_len() const { return family == Family::v4 ? 4 : 16; }
  bool is_link_local() const; ///< fe80::/10 or 169.254/16
  auto operator<=>(const IpAddr&) const = default;
};

/// An address with a prefix length: "192.168.10.1/24". Keeps host bits.
struct Cidr {
  IpAddr addr;
  uint8_t prefix = 0;

  /// Parses "a.b.c.d/n" or "x::y/n"; with allow_bare, "a.b.c.d" means /32 (/128).
  static std::optional<Cidr> parse(std::string_view text, bool allow_bare = false);
  std::string str() const;
  Cidr network() const; ///< host bits cleared
  bool contains(const IpAddr& a) const;
  bool is_default() const { return prefix == 0; }
  auto operator<=>(const Cidr&) const = default;
};

} // namespace netlab
