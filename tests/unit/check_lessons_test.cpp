// The check kinds of the lessons labs: `peer` (where a veth's other end is) and
// tcp `seen_from` (the source a listener saw), judged and reported. No kernel.
#include <netlab/check/peer.hpp>
#include <netlab/check/report.hpp>
#include <netlab/check/run.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace netlab;

namespace {

Check peer_check(bool expect_pass = true) {
  Check c;
  c.from = "ns1";
  c.type = Check::Type::peer;
  c.iface = "veth1";
  c.peer_is = Endpoint{"ns2", "eth0"};
  c.expect_pass = expect_pass;
  return c;
}

} // namespace

TEST_CASE("a peer check passes saying how it found the end and fails naming where it is", "[check][peer]") {
  auto r = judge(peer_check(), {ProbeOutcome::ok, std::nullopt, "veth1@if2, link-netnsid 0 = ns2"});
  CHECK(r.passed);
  CHECK(check_line(r) == "PASS ns1 peer veth1 is ns2:eth0: veth1@if2, link-netnsid 0 = ns2");
  r = judge(peer_check(), {ProbeOutcome::mismatch, std::nullopt, "its peer is ns3:eth0 (veth1@if2, link-netnsid 1 = ns3)"});
  CHECK_FALSE(r.passed);
  CHECK(check_line(r) ==
        "FAIL ns1 peer veth1 is ns2:eth0: its peer is ns3:eth0 (veth1@if2, link-netnsid 1 = ns3) (expected pass)");
  r = judge(peer_check(false), {ProbeOutcome::ok, std::nullopt, "veth1@if2, link-netnsid 0 = ns2"});
  CHECK_FALSE(r.passed);
  CHECK(r.message == "it is (expected fail)");
}

TEST_CASE("the evidence reads like ip link", "[check][peer]") {
  VethPeer other{7, 0, Endpoint{"ns2", "eth0"}};
  CHECK(other.evidence("veth1") == "veth1@if7, link-netnsid 0 = ns2");
  VethPeer same{3, std::nullopt, Endpoint{"ns3", "right"}};
  CHECK(same.evidence("left") == "left@if3, no link-netnsid (same namespace)");
  VethPeer outside{9, 4, std::nullopt};
  CHECK(outside.evidence("veth1") == "veth1@if9, link-netnsid 4 = no node of the lab");
}

TEST_CASE("a peer check of a node the lab lacks fails without touching the kernel", "[check][peer]") {
  Topology topo;
  topo.name = "lab";
  auto c = peer_check();
  c.from = "ghost";
  topo.checks.push_back(c);
  auto results = run_checks(topo);
  REQUIRE(results.size() == 1);
  CHECK_FALSE(results[0].passed);
  CHECK(results[0].probe.outcome == ProbeOutcome::error);
}

TEST_CASE("JSON of peer and seen_from checks", "[check][peer]") {
  Check tcp;
  tcp.from = "office";
  tcp.type = Check::Type::tcp;
  tcp.target = *IpAddr::parse("203.0.113.254");
  tcp.port = 80;
  tcp.listen = "isp";
  tcp.seen_from = IpAddr::parse("203.0.113.1");
  std::vector<CheckResult> results{
      judge(peer_check(), {ProbeOutcome::ok, std::nullopt, "veth1@if2, link-netnsid 0 = ns2"}),
      judge(tcp, {ProbeOutcome::mismatch, 0.2, "the listener saw the connection from 10.0.1.2, not 203.0.113.1"}),
  };
  auto j = checks_json("lab1", results);
  const auto& p = j["checks"][0];
  CHECK(p["type"] == "peer");
  CHECK(p["peer"] == "veth1");
  CHECK(p["target"] == "ns2:eth0");
  CHECK(p["outcome"] == "ok");
  const auto& t = j["checks"][1];
  CHECK(t["name"] == "office tcp 203.0.113.254:80 seen from 203.0.113.1");
  CHECK(t["seen_from"] == "203.0.113.1");
  CHECK(t["outcome"] == "mismatch");
  CHECK(t["passed"] == false);
}
