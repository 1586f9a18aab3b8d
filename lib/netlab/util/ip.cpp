#include <netlab/util/ip.hpp>

#include <arpa/inet.h>
#include <algorithm>
#include <charconv>

namespace netlab {

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

bool IpAddr::is_link_local() const {
  if (family == Family::v4) return bytes[0] == 169 && bytes[1] == 254;
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

std::optional<Cidr> Cidr::parse(std::string_view text, bool allow_bare) {
  auto slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  Cidr c{*addr, static_cast<uint8_t>(addr->bits())};
  if (slash == std::string_view::npos) {
    if (!allow_bare) return std::nullopt;
    return c;
  }
  auto len = text.substr(slash + 1);
  unsigned n = 0;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
  if (ec != std::errc{} || end != len.data() + len.size() || len.empty() || n > unsigned(addr->bits()))
    return std::nullopt;
  c.prefix = static_cast<uint8_t>(n);
  return c;
}

std::string Cidr::str() const { return addr.str() + "/" + std::to_string(prefix); }

Cidr Cidr::network() const {
  Cidr n = *this;
  for (int i = 0; i < addr.byte_len(); ++i) {
    int keep = std::clamp(int(prefix) - i * 8, 0, 8);
    n.addr.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return n;
}

bool Cidr::contains(const IpAddr& a) const {
  if (a.family != addr.family) return false;
  Cidr other{a, prefix};
  return other.network().addr == network().addr;
}

} // namespace netlab
