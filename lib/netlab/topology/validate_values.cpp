#include <netlab/topology/validate_values.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace netlab::vdetail {

namespace {

using namespace std::string_view_literals;

struct Unit {
  std::string_view name;
  double scale;
};

// Text of the number before a unit suffix: "10mbit" -> {"10", "mbit"}.
std::pair<std::string_view, std::string_view> split_unit(std::string_view text) {
  auto end = text.find_first_not_of("0123456789.");
  if (end == std::string_view::npos) return {text, {}};
  return {text.substr(0, end), text.substr(end)};
}

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// number * unit scale, if the text is "<decimal><unit>" with a known unit.
std::optional<double> scaled(std::string_view text, std::span<const Unit> units) {
  auto [number, unit] = split_unit(text);
  auto n = parse_decimal(number);
  if (!n) return std::nullopt;
  for (const auto& u : units)
    if (equals_nocase(unit, u.name)) return *n * u.scale;
  return std::nullopt;
}

std::string key_text(std::string_view key) { return "'" + std::string(key) + "'"; }

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

std::optional<uint16_t> port_number(std::string_view text) {
  auto n = parse_unsigned(text);
  if (!n || *n < 1 || *n > 65535) return std::nullopt;
  return static_cast<uint16_t>(*n);
}

// Why the kernel would refuse `a` as an interface's own address (or make it mean something else).
std::optional<std::string> address_kind_problem(const IpAddr& a) {
  const auto& b = a.bytes;
  bool zero = std::all_of(b.begin(), b.begin() + a.byte_len(), [](uint8_t x) { return x == 0; });
  if (zero) return "is the unspecified address; an interface needs an address of its own";
  if (a.family == Family::v4) {
    if (b[0] >= 224 && b[0] <= 239) return "is a multicast address (224.0.0.0/4); an interface address must be unicast";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
      return "is the broadcast address; an interface address must be unicast";
    return std::nullopt;
  }
  if (b[0] == 0xff) return "is a multicast address (ff00::/8); an interface address must be unicast";
  bool loopback = std::all_of(b.begin(), b.begin() + 15, [](uint8_t x) { return x == 0; }) && b[15] == 1;
  if (loopback) return "is the loopback address; the kernel keeps ::1 for 'lo' (loopback: up)";
  return std::nullopt;
}

} // namespace

Parsed<Cidr> parse_interface_address(std::string_view text) {
  if (auto c = has_nul(text) ? std::nullopt : Cidr::parse(text)) {
    if (auto problem = address_kind_problem(c->addr)) return std::unexpected("address " + quoted(text) + " " + *problem);
    return *c;
  }
  if (!has_nul(text) && Cidr::parse(text, true))
    return std::unexpected("address " + quoted(text) + " needs a prefix length, like '" + std::string(text) + "/24'");
  return std::unexpected(quoted(text) + " is not an address with a prefix length, like '10.0.0.1/24' or '2001:db8::1/64'");
}

Parsed<Cidr> parse_prefix(std::string_view what, std::string_view text, bool allow_bare) {
  auto c = has_nul(text) ? std::nullopt : Cidr::parse(text, allow_bare);
  if (!c)
    return std::unexpected(std::string(what) + " " + quoted(text) + " is not " +
                           (allow_bare ? "an address or a prefix" : "a prefix") + " like '10.0.0.0/24'");
  if (c->network() != *c)
    return std::unexpected(std::string(what) + " " + c->str() + " has host bits set (did you mean " +
                           c->network().str() + "?)");
  return *c;
}

Parsed<std::string> parse_mac(std::string_view text) {
  constexpr std::size_t k_mac_len = 17; // "aa:bb:cc:dd:ee:ff"
  std::string mac(text);
  bool ok = mac.size() == k_mac_len;
  for (std::size_t i = 0; ok && i < mac.size(); ++i) {
    mac[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(mac[i])));
    ok = (i % 3 == 2) ? mac[i] == ':' : std::isxdigit(static_cast<unsigned char>(mac[i])) != 0;
  }
  if (!ok) return std::unexpected("'mac' must look like 'aa:bb:cc:dd:ee:ff', got " + quoted(text));
  if (std::stoi(mac.substr(0, 2), nullptr, 16) & 1)
    return std::unexpected("mac " + quoted(text) + " is a multicast address (its first byte is odd)");
  if (mac == "00:00:00:00:00:00") return std::unexpected("'mac' must not be all zeros");
  return mac;
}

Parsed<uint64_t> parse_rate(std::string_view key, std::string_view text) {
  static constexpr std::array<Unit, 5> k_units{{{""sv, 1}, {"bit"sv, 1}, {"kbit"sv, 1e3}, {"mbit"sv, 1e6}, {"gbit"sv, 1e9}}};
  auto bits = scaled(text, k_units);
  if (!bits || *bits < 1 || *bits > 1e15)
    return std::unexpected(key_text(key) + " must be a rate like '10mbit' (units bit, kbit, mbit, gbit), got " +
                           quoted(text));
  // tbf holds at most ~4 s of tokens (two frames need 8kbit) and libnl passes bytes/s as an int.
  if (*bits < 8e3 || *bits > 16e9)
    return std::unexpected(key_text(key) + " must be between 8kbit and 16gbit, got " + quoted(text));
  return static_cast<uint64_t>(std::llround(*bits));
}

Parsed<uint32_t> parse_delay(std::string_view key, std::string_view text) {
  static constexpr std::array<Unit, 3> k_units{{{"us"sv, 1}, {"ms"sv, 1e3}, {"s"sv, 1e6}}};
  auto us = scaled(text, k_units);
  if (!us || *us > std::numeric_limits<uint32_t>::max())
    return std::unexpected(key_text(key) + " must be a duration like '10ms' (units us, ms, s), got " + quoted(text));
  if (*us > 60e6) return std::unexpected(key_text(key) + " must be at most 60s, got " + quoted(text));
  return static_cast<uint32_t>(std::llround(*us));
}

Parsed<double> parse_percent(std::string_view key, std::string_view text) {
  std::string_view number = (!text.empty() && text.back() == '%') ? text.substr(0, text.size() - 1) : text;
  auto pct = parse_decimal(number);
  if (!pct || *pct > 100)
    return std::unexpected(key_text(key) + " must be a percentage from 0 to 100 like '1%', got " + quoted(text));
  return *pct;
}

Parsed<double> parse_timeout(std::string_view key, std::string_view text) {
  static constexpr std::array<Unit, 3> k_units{{{""sv, 1}, {"s"sv, 1}, {"ms"sv, 1e-3}}};
  auto seconds = scaled(text, k_units);
  if (!seconds || *seconds <= 0 || *seconds > 3600)
    return std::unexpected(key_text(key) + " must be a duration from 1ms to 3600s like 2, '2s' or '500ms', got " +
                           quoted(text));
  return *seconds;
}

Parsed<HostPort> parse_host_port(std::string_view key, std::string_view text, bool port_required) {
  std::string forms = port_required ? "ADDR:PORT or [IPV6]:PORT" : "ADDR, ADDR:PORT or [IPV6]:PORT";
  auto bad = [&] { return std::unexpected(key_text(key) + " must be " + forms + ", got " + quoted(text)); };
  if (has_nul(text)) return bad();
  if (auto whole = IpAddr::parse(text)) {
    if (port_required) return bad();
    return HostPort{*whole, std::nullopt};
  }
  bool bracketed = !text.empty() && text[0] == '[';
  auto close = text.find("]:");
  auto colon = bracketed ? close + 1 : text.rfind(':');
  if ((bracketed && close == std::string_view::npos) || colon == std::string_view::npos) return bad();
  auto addr = IpAddr::parse(bracketed ? text.substr(1, close - 1) : text.substr(0, colon));
  if (!addr || (addr->family == Family::v6) != bracketed) return bad();
  auto port = port_number(text.substr(colon + 1));
  if (!port)
    return std::unexpected(key_text(key) + " port must be between 1 and 65535, got " + quoted(text.substr(colon + 1)));
  return HostPort{*addr, *port};
}

Parsed<std::pair<uint16_t, uint16_t>> parse_port_range(std::string_view key, std::string_view text) {
  auto dash = text.find('-');
  auto first = port_number(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : port_number(text.substr(dash + 1));
  if (!first || !last)
    return std::unexpected(key_text(key) + " must be a port from 1 to 65535 or a range like '8000-8080', got " +
                           quoted(text));
  if (*first > *last)
    return std::unexpected(key_text(key) + " range " + quoted(text) + " ends before it starts");
  return std::pair{*first, *last};
}

std::optional<Impairment> read_impairment(Diags& d, const Field& f) {
  static constexpr std::array<std::string_view, 6> k_keys{"rate", "delay", "jitter", "loss", "duplicate", "limit"};
  const RawNode* map = read_mapping(d, f);
  if (!map) return std::nullopt;
  check_keys(d, *map, k_keys);
  Impairment imp;
  auto text = [&](std::string_view key) -> std::optional<std::pair<std::string, Mark>> {
    auto v = field(*map, key);
    if (!v) return std::nullopt;
    auto s = read_string(d, *v);
    return s ? std::optional(std::pair{*s, v->mark}) : std::nullopt;
  };
  if (auto v = text("rate")) imp.rate_bps = take(d, v->second, parse_rate("rate", v->first));
  if (auto v = text("delay")) imp.delay_us = take(d, v->second, parse_delay("delay", v->first));
  if (auto v = text("jitter")) imp.jitter_us = take(d, v->second, parse_delay("jitter", v->first));
  if (auto v = text("loss")) imp.loss_pct = take(d, v->second, parse_percent("loss", v->first));
  if (auto v = text("duplicate")) imp.duplicate_pct = take(d, v->second, parse_percent("duplicate", v->first));
  if (auto v = field(*map, "limit"))
    if (auto n = read_int(d, *v, 1, std::numeric_limits<uint32_t>::max())) imp.limit_pkts = static_cast<uint32_t>(*n);
  if (auto j = field(*map, "jitter"); j && !field(*map, "delay")) d.error(j->mark, "'jitter' needs a 'delay'");
  if (imp == Impairment{}) return std::nullopt;
  return imp;
}

} // namespace netlab::vdetail
