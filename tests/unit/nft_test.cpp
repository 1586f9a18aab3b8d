#include <catch2/catch.hpp>
#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_json.hpp>
#include <netlab/kernel/nft_preflight.hpp>

using namespace netlab;
using nlohmann::json;

namespace {

NatRule masquerade(std::optional<std::string> src, std::optional<std::string> out) {
  NatRule r;
  r.type = NatRule::Type::masquerade;
  if (src) r.source = Cidr::parse(*src, true);
  r.out = std::move(out);
  return r;
}

NatRule snat(std::optional<std::string> src, std::optional<std::string> out, const std::string& to) {
  NatRule r = masquerade(std::move(src), std::move(out));
  r.type = NatRule::Type::snat;
  r.to_addr = IpAddr::parse(to);
  return r;
}

NatRule dnat(std::string proto, uint16_t first, uint16_t last, const std::string& to, std::optional<uint16_t> to_port,
             std::optional<std::string> in = {}) {
  NatRule r;
  r.type = NatRule::Type::dnat;
  r.protocol = std::move(proto);
  r.port_first = first;
  r.port_last = last;
  r.to_addr = IpAddr::parse(to);
  r.to_port = to_port;
  r.in = std::move(in);
  return r;
}

json expr_of(const NatRule& r, size_t i = 0) { return nat_nft_rules(r).at(i).expr; }

} // namespace

TEST_CASE("masquerade becomes a postrouting rule", "[nat]") {
  auto rules = nat_nft_rules(masquerade("10.0.1.0/24", "up0"));
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].chain == "postrouting");
  CHECK(rules[0].expr == json::parse(R"([
    {"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"prefix":{"addr":"10.0.1.0","len":24}}}},
    {"match":{"op":"==","left":{"meta":{"key":"oifname"}},"right":"up0"}},
    {"masquerade":null}])"));
  CHECK(rules[0].text == R"(ip saddr 10.0.1.0/24 oifname "up0" masquerade)");
}

TEST_CASE("masquerade without a source stays IPv4, host bits and /32 are normalised", "[nat]") {
  CHECK(expr_of(masquerade({}, {})) == json::parse(R"([
    {"match":{"op":"==","left":{"meta":{"key":"nfproto"}},"right":"ipv4"}},{"masquerade":null}])"));
  CHECK(nat_nft_rules(masquerade("10.0.1.9/24", {}))[0].text == "ip saddr 10.0.1.0/24 masquerade");
  CHECK(expr_of(masquerade("10.0.1.9/32", {}))[0]["match"]["right"] == "10.0.1.9");
  CHECK(nat_nft_rules(masquerade("fd00::5/64", {}))[0].text == "ip6 saddr fd00::/64 masquerade");
}

TEST_CASE("snat carries the family of its address", "[nat]") {
  auto e = expr_of(snat("10.0.1.0/24", "up0", "192.0.2.100"));
  CHECK(e.back() == json::parse(R"({"snat":{"family":"ip","addr":"192.0.2.100"}})"));
  CHECK(nat_nft_rules(snat({}, {}, "2001:db8::1"))[0].text == "snat ip6 to 2001:db8::1");
}

TEST_CASE("dnat becomes a prerouting and an output rule", "[nat]") {
  auto rules = nat_nft_rules(dnat("tcp", 8080, 8080, "10.0.1.2", 80, "up0"));
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].chain == "prerouting");
  CHECK(rules[0].expr == json::parse(R"([
    {"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":"up0"}},
    {"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":8080}},
    {"dnat":{"family":"ip","addr":"10.0.1.2","port":80}}])"));
  CHECK(rules[0].text == R"(iifname "up0" tcp dport 8080 dnat ip to 10.0.1.2:80)");
  CHECK(rules[1].chain == "output");
  CHECK(rules[1].expr == json::parse(R"([
    {"match":{"op":"==","left":{"fib":{"result":"type","flags":["daddr"]}},"right":"local"}},
    {"match":{"op":"!=","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":{"prefix":{"addr":"127.0.0.0","len":8}}}},
    {"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":8080}},
    {"dnat":{"family":"ip","addr":"10.0.1.2","port":80}}])"));
  CHECK(rules[1].text == "fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to 10.0.1.2:80");
}

TEST_CASE("dnat port ranges: kept, or shifted port by port", "[nat]") {
  auto kept = expr_of(dnat("udp", 7000, 7002, "10.0.1.2", {}));
  CHECK(kept[0]["match"]["right"] == json::parse(R"({"range":[7000,7002]})"));
  CHECK(kept[1] == json::parse(R"({"dnat":{"family":"ip","addr":"10.0.1.2"}})"));
  CHECK(expr_of(dnat("udp", 7000, 7002, "10.0.1.2", 7000))[1] == kept[1]);
  auto shifted = nat_nft_rules(dnat("udp", 8000, 8002, "10.0.1.2", 9000))[0];
  CHECK(shifted.expr[1] == json::parse(R"({"dnat":{"family":"ip","addr":"10.0.1.2","port":{"map":{
    "key":{"payload":{"protocol":"udp","field":"dport"}},"data":{"set":[[8000,9000],[8001,9001],[8002,9002]]}}}}})"));
  CHECK(shifted.text ==
        "udp dport 8000-8002 dnat ip to 10.0.1.2:udp dport map { 8000 : 9000, 8001 : 9001, 8002 : 9002 }");
}

TEST_CASE("dnat to IPv6 brackets the address and excludes ::1 locally", "[nat]") {
  auto rules = nat_nft_rules(dnat("tcp", 80, 80, "fd00::2", 8080));
  CHECK(rules[0].text == "tcp dport 80 dnat ip6 to [fd00::2]:8080");
  CHECK(rules[1].text == "fib daddr type local ip6 daddr != ::1 tcp dport 80 dnat ip6 to [fd00::2]:8080");
  CHECK(rules[1].expr[1]["match"]["right"] == "::1");
}

TEST_CASE("rules that cannot be expressed are reported", "[nat]") {
  CHECK(nat_rule_problem(masquerade({}, {})).empty());
  NatRule no_to = snat({}, {}, "10.0.0.1");
  no_to.to_addr.reset();
  CHECK_FALSE(nat_rule_problem(no_to).empty());
  CHECK(nat_nft_rules(no_to).empty());
  CHECK_FALSE(nat_rule_problem(snat("fd00::/64", {}, "10.0.0.1")).empty());
  CHECK_FALSE(nat_rule_problem(dnat("sctp", 1, 1, "10.0.0.1", {})).empty());
  CHECK_FALSE(nat_rule_problem(dnat("tcp", 60000, 61000, "10.0.0.1", 65000)).empty());
  CHECK(nat_rule_problem(dnat("tcp", 60000, 61000, "10.0.0.1", 64535)).empty());
}

TEST_CASE("table objects list chains first, then rules chain by chain", "[nat]") {
  std::vector<NatRule> rules{dnat("tcp", 80, 80, "10.0.1.2", {}), masquerade("10.0.1.0/24", {})};
  json objs = nat_table_objects("netlab-x", rules);
  REQUIRE(objs.size() == 1 + 3 + 1 + 3);
  CHECK(objs[0] == json::parse(R"({"table":{"family":"inet","name":"netlab-x"}})"));
  CHECK(objs[1] == json::parse(R"({"chain":{"family":"inet","table":"netlab-x","name":"postrouting","type":"nat",
    "hook":"postrouting","prio":100,"policy":"accept"}})"));
  CHECK(objs[2]["chain"]["prio"] == -100);
  CHECK(objs[3]["chain"]["name"] == "output");
  CHECK(objs[4] == json::parse(R"({"chain":{"family":"inet","table":"netlab-x","name":"owner-netlab-x"}})"));
  CHECK(objs[5]["rule"]["chain"] == "postrouting");
  CHECK(objs[6]["rule"]["chain"] == "prerouting");
  CHECK(objs[7]["rule"]["chain"] == "output");
}

TEST_CASE("netlab's tables carry a mark and a look-alike does not", "[nat]") {
  std::vector<NatRule> rules{masquerade("10.0.1.0/24", {})};
  CHECK(nat_table_marked(nat_canonical("netlab-x", rules), "netlab-x"));
  CHECK_FALSE(nat_table_marked(nat_canonical("netlab-x", rules), "netlab-y"));
  // A user's table of the same name: their own chain and rule, no mark.
  json user = json::array({{{"table", {{"family", "inet"}, {"name", "netlab-x"}}}},
                           {{"chain", {{"family", "inet"}, {"table", "netlab-x"}, {"name", "mine"}}}}});
  CHECK_FALSE(nat_table_marked(nat_canonical_objects(user), "netlab-x"));
  // A base chain of that name is not the mark.
  user.push_back(
      {{"chain", {{"family", "inet"}, {"table", "netlab-x"}, {"name", "owner-netlab-x"}, {"hook", "input"}}}});
  CHECK_FALSE(nat_table_marked(nat_canonical_objects(user), "netlab-x"));
  CHECK_FALSE(nat_table_marked("not json", "netlab-x"));
}

TEST_CASE("canonical form equals a listing of the same table and differs after edits", "[nat]") {
  std::vector<NatRule> rules{masquerade("10.0.1.0/24", "up0")};
  std::string want = nat_canonical("netlab-x", rules);
  CHECK(nat_canonical("netlab-x", {}).empty());
  // What nft -j list table prints: metainfo, handles, keys in its own order.
  json listing = {{"nftables", json::array({{{"metainfo", {{"version", "1.0.6"}, {"json_schema_version", 1}}}}})}};
  for (json o : nat_table_objects("netlab-x", rules)) {
    o.begin().value()["handle"] = 7;
    listing["nftables"].push_back(o);
  }
  CHECK(nat_canonical_from_listing(listing) == want);
  json flushed = listing;
  flushed["nftables"].erase(flushed["nftables"].end() - 1);
  CHECK(nat_canonical_from_listing(flushed) != want);
  json counted = listing;
  counted["nftables"].back()["rule"]["expr"].push_back({{"counter", {{"packets", 5}, {"bytes", 300}}}});
  json counted_again = listing;
  counted_again["nftables"].back()["rule"]["expr"].push_back({{"counter", {{"packets", 9}, {"bytes", 900}}}});
  CHECK(nat_canonical_from_listing(counted) != want);
  CHECK(nat_canonical_from_listing(counted) == nat_canonical_from_listing(counted_again));
  CHECK(nat_canonical_from_listing(json::object()).empty());
}

TEST_CASE("replace batch deletes then recreates in one transaction", "[nat]") {
  json objs = nat_table_objects("netlab-x", {masquerade({}, {})});
  json batch = nat_replace_batch("netlab-x", objs);
  const json& cmds = batch["nftables"];
  REQUIRE(cmds.size() == 2 + objs.size());
  CHECK(cmds[0] == json::parse(R"({"add":{"table":{"family":"inet","name":"netlab-x"}}})"));
  CHECK(cmds[1] == json::parse(R"({"delete":{"table":{"family":"inet","name":"netlab-x"}}})"));
  CHECK(cmds[2]["add"] == objs[0]);
  CHECK(cmds.back()["add"].contains("rule"));
  CHECK(nat_replace_batch("netlab-x", json::array())["nftables"].size() == 2);
}

TEST_CASE("explain: nft commands", "[nat]") {
  CHECK(nat_rule_nft(masquerade("10.0.1.0/24", "up0"), "netlab-x") ==
        R"(nft 'add rule inet netlab-x postrouting ip saddr 10.0.1.0/24 oifname "up0" masquerade')");
  CHECK(nat_rule_nft(snat("10.0.1.0/24", {}, "192.0.2.100"), "netlab-x") ==
        "nft add rule inet netlab-x postrouting ip saddr 10.0.1.0/24 snat ip to 192.0.2.100");
  CHECK(nat_rule_nft(dnat("tcp", 8080, 8080, "10.0.1.2", 80), "netlab-x") ==
        "nft add rule inet netlab-x prerouting tcp dport 8080 dnat ip to 10.0.1.2:80\n"
        "nft 'add rule inet netlab-x output fib daddr type local ip daddr != 127.0.0.0/8 tcp dport 8080 dnat ip to "
        "10.0.1.2:80'");
  CHECK(nat_rule_nft(masquerade({}, {})).find("netlab-<lab>") != std::string::npos);
  auto setup = nat_table_nft("netlab-x");
  REQUIRE(setup.size() == 5);
  CHECK(setup[4].starts_with("nft add chain inet netlab-x owner-netlab-x"));
  CHECK(setup[0] == "nft add table inet netlab-x");
  CHECK(setup[1] ==
        "nft 'add chain inet netlab-x postrouting { type nat hook postrouting priority srcnat; policy accept; }'");
  CHECK(setup[3] == "nft 'add chain inet netlab-x output { type nat hook output priority -100; policy accept; }'");
}

TEST_CASE("explain: iptables commands", "[nat]") {
  CHECK(nat_rule_iptables(masquerade("10.0.1.0/24", "up0")) ==
        "iptables -t nat -A POSTROUTING -s 10.0.1.0/24 -o up0 -j MASQUERADE");
  CHECK(nat_rule_iptables(masquerade("fd00::/64", {})) == "ip6tables -t nat -A POSTROUTING -s fd00::/64 -j MASQUERADE");
  CHECK(nat_rule_iptables(snat({}, "up0", "192.0.2.100")) ==
        "iptables -t nat -A POSTROUTING -o up0 -j SNAT --to-source 192.0.2.100");
  CHECK(nat_rule_iptables(dnat("tcp", 8080, 8080, "10.0.1.2", 80, "up0")) ==
        "iptables -t nat -A PREROUTING -i up0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.1.2:80\n"
        "iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -p tcp --dport 8080 -j DNAT "
        "--to-destination 10.0.1.2:80");
  CHECK(nat_rule_iptables(dnat("udp", 8000, 8010, "10.0.1.2", 9000)).starts_with(
      "iptables -t nat -A PREROUTING -p udp --dport 8000:8010 -j DNAT --to-destination 10.0.1.2:9000-9010/8000\n"));
  CHECK(nat_rule_iptables(dnat("tcp", 80, 80, "fd00::2", 8080)).starts_with(
      "ip6tables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination [fd00::2]:8080\n"));
}

TEST_CASE("preflight warnings say what defeats the lab and how to fix it", "[nat]") {
  Node node;
  node.name = "host";
  node.nat = {masquerade("10.0.1.0/24", {})};
  Interface br;
  br.name = "br0";
  br.kind = LinkKind::bridge;
  node.interfaces = {br};

  NatHostFacts good{true, true, std::nullopt, {}};
  CHECK(nat_preflight_warnings(node, good).empty());

  NatHostFacts no_fwd = good;
  no_fwd.ip_forward = false;
  auto w = nat_preflight_warnings(node, no_fwd);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("net.ipv4.ip_forward") != std::string::npos);
  CHECK(w[0].find("forwarding: true") != std::string::npos);
  node.forwarding = true; // netlab turns it on itself
  CHECK(nat_preflight_warnings(node, no_fwd).empty());

  NatHostFacts brnf = good;
  brnf.bridge_nf_call_iptables = true;
  w = nat_preflight_warnings(node, brnf);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("net.bridge.bridge-nf-call-iptables: 0") != std::string::npos);
  node.sysctls["net.bridge.bridge-nf-call-iptables"] = "0";
  CHECK(nat_preflight_warnings(node, brnf).empty());

  NatHostFacts docker = good;
  docker.drop_forward_chains = {"ip filter FORWARD"};
  w = nat_preflight_warnings(node, docker);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("'ip filter FORWARD'") != std::string::npos);
  CHECK(w[0].find("DOCKER-USER") != std::string::npos);

  Node plain;
  plain.name = "ns1";
  CHECK(nat_preflight_warnings(plain, NatHostFacts{false, false, true, {"ip filter FORWARD"}}).empty());
}
