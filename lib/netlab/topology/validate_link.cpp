// Links (veth pairs, short or long form) and checks. References to nodes are
// only recorded here; resolve() checks them.
#include <netlab/topology/validate_sections.hpp>
#include <netlab/topology/validate_values.hpp>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 3> k_link_keys{"endpoints", "impair", "vni"};
constexpr std::array<std::string_view, 9> k_check_keys{"from",   "ping",      "tcp",  "peer", "is",
                                                       "expect", "timeout", "listen", "seen_from"};
constexpr std::array<std::string_view, 2> k_expect{"pass", "fail"};

std::optional<Endpoint> parse_endpoint(Ctx& c, const RawNode& item) {
  if (!item.is_scalar())
    return c.diags.error(item.mark, "a link endpoint must be written node:interface, got " + describe(item)),
           std::nullopt;
  auto colon = item.scalar.find(':');
  std::string what = "link endpoint " + quoted(item.scalar);
  if (colon == std::string::npos)
    return c.diags.error(item.mark, what + " must be written node:interface"), std::nullopt;
  Endpoint e{item.scalar.substr(0, colon), item.scalar.substr(colon + 1)};
  if (e.iface == "lo") return c.diags.error(item.mark, what + ": 'lo' cannot be a link end"), std::nullopt;
  if (auto problem = ifname_problem(e.iface)) return c.diags.error(item.mark, what + ": " + *problem), std::nullopt;
  return e;
}

bool parse_endpoints(Ctx& c, const RawNode& list, Mark at, Link& link, LinkSrc& src) {
  if (list.items.size() != 2) {
    c.diags.error(at, "a link needs exactly two endpoints, got " + std::to_string(list.items.size()));
    return false;
  }
  auto a = parse_endpoint(c, list.items[0]);
  auto b = parse_endpoint(c, list.items[1]);
  if (!a || !b) return false;
  link.a = *a;
  link.b = *b;
  src.a = list.items[0].mark;
  src.b = list.items[1].mark;
  if (*a != *b) return true;
  c.diags.error(src.b, "link connects " + quoted(a->str()) + " to itself");
  return false;
}

void parse_link(Ctx& c, const RawNode& item) {
  Link link;
  link.mark = item.mark;
  LinkSrc src;
  const RawNode* endpoints = nullptr;
  Mark endpoints_mark = item.mark;
  if (item.is_sequence()) {
    endpoints = &item;
  } else if (item.is_mapping()) {
    check_keys(c.diags, item, k_link_keys);
    auto f = field(item, "endpoints");
    if (!f) c.diags.error(item.mark, "a link needs 'endpoints' (two node:interface names)");
    if (f) endpoints = read_sequence(c.diags, *f);
    if (f) endpoints_mark = f->mark;
    if (auto imp = field(item, "impair")) link.impair = read_impairment(c.diags, *imp);
    if (auto vni = field(item, "vni"))
      if (auto id = read_int(c.diags, *vni, 1, 16777215)) {
        link.vni = static_cast<uint32_t>(*id);
        src.vni = vni->mark;
      }
  } else {
    c.diags.error(item.mark, "a link must be a list of two endpoints like [ns1:eth0, ns2:eth0] or a mapping with "
                             "'endpoints', got " + describe(item));
  }
  if (endpoints) src.ok = parse_endpoints(c, *endpoints, endpoints_mark, link, src);
  c.topo.links.push_back(std::move(link));
  c.src.links.push_back(src);
}

/// peer: IFNAME, is: NODE:IFNAME — where the other end of a veth of `from` is.
void parse_peer_check(Ctx& c, Check& chk, CheckSrc& src, const RawNode& map, const Field& peer) {
  chk.type = Check::Type::peer;
  if (auto name = read_string(c.diags, peer)) {
    if (auto problem = ifname_problem(*name)) c.diags.error(peer.mark, "'peer': " + *problem);
    chk.iface = *name;
  }
  auto is = field(map, "is");
  if (!is) return c.diags.error(chk.mark, "a 'peer' check needs 'is: NODE:IFNAME' (where the other end must be)");
  if (auto end = parse_endpoint(c, is->value)) {
    chk.peer_is = *end;
    src.peer_is = is->mark;
  }
}

void parse_check_target(Ctx& c, Check& chk, CheckSrc& src, const RawNode& map) {
  // The second probe key in file order is the one to blame.
  std::vector<Mark> probes;
  for (const char* key : {"ping", "tcp", "peer"})
    if (auto f = field(map, key)) probes.push_back(f->key_mark);
  std::ranges::sort(probes, {}, [](const Mark& m) { return std::pair(m.line, m.col); });
  if (probes.size() > 1) return c.diags.error(probes[1], "a check takes one of 'ping', 'tcp' or 'peer', not two");
  if (probes.empty()) return c.diags.error(chk.mark, "a check needs 'ping: ADDR', 'tcp: ADDR:PORT' or 'peer: IFNAME'");
  if (auto f = field(map, "is"); f && !field(map, "peer")) c.diags.error(f->key_mark, "'is' is only valid with 'peer'");
  auto ping = field(map, "ping");
  auto tcp = field(map, "tcp");
  if (auto peer = field(map, "peer")) return parse_peer_check(c, chk, src, map, *peer);
  if (ping) {
    chk.type = Check::Type::ping;
    if (auto ip = read_ip(c.diags, *ping)) chk.target = *ip;
    return;
  }
  chk.type = Check::Type::tcp;
  auto text = read_string(c.diags, *tcp);
  auto dest = text ? take(c.diags, tcp->mark, parse_host_port("tcp", *text, true)) : std::nullopt;
  if (!dest) return;
  chk.target = dest->addr;
  chk.port = dest->port.value_or(0);
}

void parse_check(Ctx& c, const RawNode& item) {
  if (!item.is_mapping())
    return c.diags.error(item.mark, "a check must be a mapping like {from: ns1, ping: 10.0.0.2}, got " + describe(item));
  check_keys(c.diags, item, k_check_keys);
  Check chk;
  chk.mark = item.mark;
  CheckSrc src;
  auto from = field(item, "from");
  if (!from) c.diags.error(item.mark, "a check needs 'from' (the node it runs in)");
  if (auto name = from ? read_string(c.diags, *from) : std::nullopt) {
    chk.from = *name;
    src.from = from->mark;
  }
  parse_check_target(c, chk, src, item);
  if (auto f = field(item, "expect"))
    if (auto e = read_choice(c.diags, *f, k_expect)) chk.expect_pass = *e == "pass";
  if (auto f = field(item, "timeout"))
    if (auto text = read_string(c.diags, *f)) chk.timeout_s = take(c.diags, f->mark, parse_timeout("timeout", *text)).value_or(2.0);
  if (auto f = field(item, "listen")) {
    if (!field(item, "tcp")) c.diags.error(f->key_mark, "'listen' is only valid with 'tcp'");
    chk.listen = read_string(c.diags, *f);
    if (chk.listen) src.listen = f->mark;
  }
  // Only netlab's own listener can say who connected; and a check that must fail never connects.
  if (auto f = field(item, "seen_from")) {
    if (!field(item, "listen")) c.diags.error(f->key_mark, "'seen_from' needs 'listen' (the listener reports who connected)");
    else if (!chk.expect_pass) c.diags.error(f->key_mark, "'seen_from' needs a check that connects (not 'expect: fail')");
    chk.seen_from = read_ip(c.diags, *f);
  }
  c.topo.checks.push_back(std::move(chk));
  c.src.checks.push_back(src);
}

} // namespace

void parse_links(Ctx& c, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) parse_link(c, item);
}

void parse_checks(Ctx& c, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) parse_check(c, item);
}

} // namespace netlab::vdetail
