// Routes (iproute2-like string or mapping) and NAT rules of a node.
#include <netlab/topology/validate_sections.hpp>
#include <netlab/topology/validate_values.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 3> k_route_words{"via", "dev", "metric"};
constexpr std::array<std::string_view, 4> k_route_keys{"to", "via", "dev", "metric"};
constexpr std::array<std::string_view, 3> k_nat_types{"masquerade", "snat", "dnat"};
constexpr std::array<std::string_view, 2> k_protocols{"tcp", "udp"};
constexpr std::array<std::string_view, 2> k_masquerade_keys{"source", "out"};
constexpr std::array<std::string_view, 3> k_snat_keys{"source", "out", "to"};
constexpr std::array<std::string_view, 4> k_dnat_keys{"protocol", "port", "to", "in"};

/// A route as written, before any value is checked.
struct RouteSpec {
  std::string text; ///< "default via 10.0.0.1", for messages
  Mark mark;
  std::string to;
  Mark to_mark;
  std::optional<std::string> via, dev, metric;
  Mark via_mark, dev_mark, metric_mark;
};

// " (did you mean 'x'?)" when a word is close, else " (expected a, b or c)".
std::string or_expected(std::string_view word, Keys choices, std::string_view list) {
  std::string hint = suggest(word, choices);
  return hint.empty() ? " (expected " + std::string(list) + ")" : hint;
}

std::optional<std::string>* route_slot(RouteSpec& s, std::string_view word) {
  if (word == "via") return &s.via;
  if (word == "dev") return &s.dev;
  if (word == "metric") return &s.metric;
  return nullptr;
}

std::optional<RouteSpec> spec_from_text(Ctx& c, const RawNode& item) {
  auto words = words_of(item.scalar);
  RouteSpec s{{}, item.mark, {}, item.mark, {}, {}, {}, item.mark, item.mark, item.mark};
  for (auto w : words) s.text += (s.text.empty() ? "" : " ") + std::string(w);
  if (words.empty()) return c.diags.error(item.mark, "a route must not be empty"), std::nullopt;
  auto prefix = [&] { return route_named(s.text) + ": "; };
  s.to = words[0];
  for (std::size_t i = 1; i < words.size(); i += 2) {
    auto* slot = route_slot(s, words[i]);
    std::string word(words[i]);
    if (!slot)
      return c.diags.error(item.mark, prefix() + "unknown word " + quoted(word) +
                                          or_expected(word, k_route_words, "via, dev or metric")),
             std::nullopt;
    if (i + 1 >= words.size()) return c.diags.error(item.mark, prefix() + "'" + word + "' needs a value"), std::nullopt;
    if (*slot) return c.diags.error(item.mark, prefix() + "'" + word + "' is given twice"), std::nullopt;
    *slot = std::string(words[i + 1]);
  }
  return s;
}

std::optional<RouteSpec> spec_from_map(Ctx& c, const RawNode& item) {
  check_keys(c.diags, item, k_route_keys);
  RouteSpec s{{}, item.mark, {}, item.mark, {}, {}, {}, item.mark, item.mark, item.mark};
  auto to = field(item, "to");
  if (!to) return c.diags.error(item.mark, "a route needs 'to' (a prefix, an address or 'default')"), std::nullopt;
  auto text = read_string(c.diags, *to);
  if (!text) return std::nullopt;
  s.to = *text;
  s.to_mark = to->mark;
  s.text = s.to;
  bool ok = true;
  for (auto key : k_route_words) {
    auto f = field(item, key);
    if (!f) continue;
    auto value = read_string(c.diags, *f);
    ok = ok && value;
    *route_slot(s, key) = value;
    (key == "via" ? s.via_mark : key == "dev" ? s.dev_mark : s.metric_mark) = f->mark;
    if (value) s.text += " " + std::string(key) + " " + *value;
  }
  return ok ? std::optional(s) : std::nullopt;
}

void check_route_family(Ctx& c, const RouteSpec& s, const Route& r, const std::string& prefix) {
  if (!r.via || r.via->family == r.to.addr.family) return;
  c.diags.error(s.via_mark, prefix + "via " + r.via->str() + " is " + (r.via->family == Family::v6 ? "IPv6" : "IPv4") +
                                " but the destination is " + (r.to.addr.family == Family::v6 ? "IPv6" : "IPv4"));
}

void build_route(Ctx& c, Node& node, NodeSrc& src, const RouteSpec& s) {
  std::size_t before = c.diags.count();
  const std::string prefix = route_named(s.text) + ": "; // parse_prefix takes it in any case
  Route r;
  r.mark = s.mark;
  if (s.via) {
    r.via = s.via->find('\0') == std::string::npos ? IpAddr::parse(*s.via) : std::nullopt;
    if (!r.via) c.diags.error(s.via_mark, prefix + "via " + quoted(*s.via) + " is not an IP address");
  }
  if (s.to == "default") {
    r.to.addr.family = r.via ? r.via->family : Family::v4;
  } else if (auto to = take(c.diags, s.to_mark, parse_prefix(prefix + "destination", s.to, true))) {
    r.to = *to;
    check_route_family(c, s, r, prefix);
  }
  if (!s.via && !s.dev) c.diags.error(s.mark, prefix + "needs 'via' or 'dev'");
  if (s.dev) {
    if (auto problem = ifname_problem(*s.dev)) c.diags.error(s.dev_mark, prefix + "dev: " + *problem);
    r.dev = s.dev;
  }
  if (s.metric) {
    auto metric = parse_unsigned(*s.metric);
    if (!metric || *metric > std::numeric_limits<uint32_t>::max())
      c.diags.error(s.metric_mark, prefix + "metric must be an integer from 0 to 4294967295, got " + quoted(*s.metric));
    else
      r.metric = static_cast<uint32_t>(*metric);
  }
  bool ok = c.diags.count() == before;
  src.routes.push_back(RouteSrc{ok, s.text, s.to_mark, s.via ? std::optional(s.via_mark) : std::nullopt,
                                s.dev ? std::optional(s.dev_mark) : std::nullopt});
  node.routes.push_back(std::move(r));
}

// masquerade and snat: source prefix, output interface, (snat) new source address.
void parse_source_nat(Ctx& c, NatRule& rule, const RawNode& map, Mark rule_mark) {
  if (auto f = field(map, "source"))
    if (auto text = read_string(c.diags, *f)) rule.source = take(c.diags, f->mark, parse_prefix("'source'", *text, false));
  if (auto f = field(map, "out")) rule.out = read_ifname(c.diags, *f);
  if (rule.type != NatRule::Type::snat) return;
  auto to = field(map, "to");
  if (!to) return c.diags.error(rule_mark, "snat needs 'to' (the new source address)");
  rule.to_addr = read_ip(c.diags, *to);
  if (rule.source && rule.to_addr && rule.source->addr.family != rule.to_addr->family)
    c.diags.error(to->mark, "'to' and 'source' must be of the same address family");
}

void parse_dnat(Ctx& c, NatRule& rule, const RawNode& map, Mark rule_mark) {
  auto protocol = field(map, "protocol");
  auto port = field(map, "port");
  auto to = field(map, "to");
  if (!protocol) c.diags.error(rule_mark, "dnat needs 'protocol' (tcp or udp)");
  if (!port) c.diags.error(rule_mark, "dnat needs 'port' (a port or a range like 8000-8080)");
  if (!to) c.diags.error(rule_mark, "dnat needs 'to' (ADDR, ADDR:PORT or [IPV6]:PORT)");
  if (protocol) rule.protocol = read_choice(c.diags, *protocol, k_protocols).value_or("");
  if (auto text = port ? read_string(c.diags, *port) : std::nullopt)
    if (auto range = take(c.diags, port->mark, parse_port_range("port", *text)))
      std::tie(rule.port_first, rule.port_last) = *range;
  if (auto text = to ? read_string(c.diags, *to) : std::nullopt)
    if (auto dest = take(c.diags, to->mark, parse_host_port("to", *text, false))) {
      rule.to_addr = dest->addr;
      rule.to_port = dest->port;
    }
  if (rule.to_port && rule.port_last > rule.port_first && *rule.to_port + (rule.port_last - rule.port_first) > 65535)
    c.diags.error(to->mark, "'to' port " + std::to_string(*rule.to_port) + " plus the width of the port range passes 65535");
  if (auto f = field(map, "in")) rule.in = read_ifname(c.diags, *f);
}

void parse_nat_rule(Ctx& c, Node& node, const RawNode& item) {
  if (!item.is_mapping() || item.entries.size() != 1 || !item.entries[0].first.is_scalar())
    return c.diags.error(item.mark, "a NAT rule must be a mapping with one key: masquerade, snat or dnat");
  const auto& [k, v] = item.entries[0];
  auto type = std::find(k_nat_types.begin(), k_nat_types.end(), k.scalar);
  if (type == k_nat_types.end())
    return c.diags.error(k.mark, "unknown NAT rule " + quoted(k.scalar) +
                                     or_expected(k.scalar, k_nat_types, "masquerade, snat or dnat"));
  const RawNode* map = read_mapping(c.diags, Field{k.scalar, v, value_mark(k, v), k.mark});
  if (!map) return;
  NatRule rule;
  rule.mark = k.mark;
  rule.type = static_cast<NatRule::Type>(type - k_nat_types.begin());
  if (rule.type == NatRule::Type::dnat) {
    check_keys(c.diags, *map, k_dnat_keys);
    parse_dnat(c, rule, *map, k.mark);
  } else {
    check_keys(c.diags, *map, rule.type == NatRule::Type::snat ? Keys(k_snat_keys) : Keys(k_masquerade_keys));
    parse_source_nat(c, rule, *map, k.mark);
  }
  node.nat.push_back(std::move(rule));
}

} // namespace

std::string route_named(const std::string& text) { return "route " + quoted(text, k_route_text_max); }

void parse_routes(Ctx& c, Node& node, NodeSrc& src, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) {
    std::optional<RouteSpec> spec;
    if (item.is_scalar())
      spec = spec_from_text(c, item);
    else if (item.is_mapping())
      spec = spec_from_map(c, item);
    else
      c.diags.error(item.mark, "a route must be a string like 'default via 10.0.0.1' or a mapping with 'to', got " +
                                   describe(item));
    if (spec) build_route(c, node, src, *spec);
  }
}

void parse_nat(Ctx& c, Node& node, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) parse_nat_rule(c, node, item);
}

} // namespace netlab::vdetail
