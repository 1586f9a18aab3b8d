#include <netlab/live/listen.hpp>

#include <netlab/util/ip.hpp>

#include <charconv>

namespace netlab {
namespace {

Expected<uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value > 65535)
    return fail("--listen " + std::string(whole) + ": the port must be a number 0-65535");
  return static_cast<uint16_t>(value);
}

} // namespace

Expected<ListenAddress> parse_listen(std::string_view text) {
  ListenAddress out;
  std::string_view host, port = text;
  if (text.starts_with('[')) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return fail("--listen " + std::string(text) + ": want [ADDRESS]:PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("--listen " + std::string(text) + ": an IPv6 address goes in brackets: [ADDRESS]:PORT");
  }
  auto p = parse_port(port, text);
  if (!p) return std::unexpected(p.error());
  out.port = *p;
  if (host.empty() || host == "localhost") return out; // 127.0.0.1
  auto ip = IpAddr::parse(host);
  if (!ip) return fail("--listen " + std::string(text) + ": '" + std::string(host) + "' is not an IP address");
  out.host = ip->str();
  const bool v6_loopback = ip->family == Family::v6 && *ip == *IpAddr::parse("::1");
  out.loopback = ip->family == Family::v4 ? ip->bytes[0] == 127 : v6_loopback;
  return out;
}

} // namespace netlab
