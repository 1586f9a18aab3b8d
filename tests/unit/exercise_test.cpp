// Exercises (plan/exercise, validate_exercise) and the explanation of failed
// checks (check/explain), against values and the FakeKernel.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/check/explain.hpp>
#include <netlab/plan/exercise.hpp>

#include <algorithm>

using namespace netlab;
using namespace netlab::test;

namespace {

const char* k_lab = R"(
name: ex
nodes:
  host:
    kind: host
    forwarding: true
    interfaces:
      br0: {kind: bridge, addresses: [192.168.10.1/24]}
      vethA: {master: br0}
      vethC: {master: br0}
    nat:
      - {masquerade: {source: 192.168.10.0/24, out: br0}}
  ns1:
    interfaces:
      vethB: {addresses: [192.168.10.2/24]}
    routes: [default via 192.168.10.1]
  ns2:
    interfaces:
      vethD: {addresses: [192.168.10.3/24]}
    routes: [default via 192.168.10.1]
links:
  - [ns1:vethB, host:vethA]
  - [ns2:vethD, host:vethC]
checks:
  - {from: ns1, ping: 192.168.10.3}
exercises:
  - name: lo
    task: fix lo
    start: [{node: ns1, lo: down}]
    hints: [one, two]
  - task: many
    start:
      - {node: ns2, remove_route: default}
      - {node: ns2, down: vethD}
      - {node: ns1, remove_address: 192.168.10.2/24, interface: vethB}
      - {node: host, sysctl: {net.ipv4.ip_forward: 0}}
      - {node: host, remove_nat: masquerade}
    checks:
      - {from: ns2, ping: 192.168.10.1}
)";

std::vector<std::string> start_points(const std::vector<ExerciseFinding>& fs) {
  std::vector<std::string> out;
  for (const auto& e : fs)
    if (e.start_point) out.push_back(e.finding.path);
  std::ranges::sort(out);
  return out;
}

std::vector<std::string> drift(const std::vector<ExerciseFinding>& fs) {
  std::vector<std::string> out;
  for (const auto& e : fs)
    if (!e.start_point && e.finding.state != Finding::State::ok) out.push_back(e.finding.path);
  return out;
}

} // namespace

TEST_CASE("exercises: parsed with their start, checks and hints", "[exercise]") {
  Topology t = parse(k_lab);
  REQUIRE(t.exercises.size() == 2);
  CHECK(t.exercises[0].name == "lo");
  CHECK(t.exercises[0].hints == std::vector<Text>{Text("one"), Text("two")});
  CHECK(t.checks.size() == 1); // an exercise's checks are its own
  CHECK(exercise_checks(t, t.exercises[0]).size() == 1);
  CHECK(exercise_checks(t, t.exercises[1]).front().from == "ns2");
  std::vector<std::string> words;
  for (const auto& b : t.exercises[1].start) words.push_back(describe(b));
  CHECK(words == std::vector<std::string>{"ns2: no route default", "ns2: vethD down",
                                          "ns1: no address 192.168.10.2/24 on vethB",
                                          "host: net.ipv4.ip_forward=0", "host: no masquerade rules"});
  CHECK(exercise_title(t.exercises[0], 1) == "exercise 1 'lo'");
  CHECK(exercise_title(t.exercises[1], 2) == "exercise 2");
}

TEST_CASE("exercises: a start naming what the lab lacks is refused with its position", "[exercise]") {
  auto p = problems(R"(
name: ex
nodes:
  ns1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
  host: {kind: host}
exercises:
  - task: t
    start:
      - {node: ns9, lo: down}
      - {node: ns1, remove_route: default}
      - {node: ns1, down: eth9}
      - {node: ns1, lo: down, down: eth0}
      - {node: host, lo: down}
      - {node: ns1, remove_nat: all}
      - {node: ns1, remove_address: 10.0.0.9/24}
  - start: []
)");
  auto has = [&](const std::string& text) { return has_part(p, text); };
  CHECK(has("t.yaml:11:16: 'node': no node named 'ns9' (did you mean 'ns1'?)"));
  CHECK(has("t.yaml:12:9: node 'ns1' declares no route to default"));
  CHECK(has("node 'ns1' has no interface 'eth9'"));
  CHECK(has("t.yaml:14:9: a start entry makes exactly one change"));
  CHECK(has("'lo: down' needs a netns node; node 'host' is not"));
  CHECK(has("node 'ns1' has no NAT rules to remove"));
  CHECK(has("node 'ns1' declares no address 10.0.0.9/24"));
  CHECK(has("an exercise needs 'task'"));
  CHECK(has("'start' is empty"));
  CHECK(has("an exercise needs 'checks' (the lab has none to reuse)"));
}

TEST_CASE("exercises: the start model is the solution with the breakage applied", "[exercise]") {
  Topology t = parse(k_lab);
  Topology s = exercise_start(t, t.exercises[1]);
  CHECK(s.find_node("ns2")->routes.empty());
  CHECK_FALSE(s.find_node("ns2")->find_interface("vethD")->up);
  CHECK(s.find_node("ns1")->find_interface("vethB")->addresses.empty());
  CHECK(s.find_node("ns1")->routes.empty()); // its gateway is out of reach without the address
  CHECK(s.find_node("host")->sysctls.at("net.ipv4.ip_forward") == "0");
  CHECK(wanted_sysctls(*s.find_node("host")).at("net.ipv4.ip_forward") == "0");
  CHECK(s.find_node("host")->nat.empty());
  CHECK(t.find_node("ns2")->routes.size() == 1); // the solution is untouched
  CHECK_FALSE(exercise_start(t, t.exercises[0]).find_node("ns1")->loopback_up);
}

TEST_CASE("exercises: status tells the start point from drift, up keeps the start", "[exercise]") {
  Lab lab;
  Topology t = parse(k_lab);
  Topology start = exercise_start(t, t.exercises[1]);
  lab.up(start);
  auto classified = classify_findings(lab.plan(t), lab.plan(start));
  CHECK(drift(classified).empty());
  CHECK(start_points(classified) == std::vector<std::string>{
                                       "host/nat", "host/sysctls/net.ipv4.ip_forward",
                                       "ns1/routes/default via 192.168.10.1", "ns1/vethB/addresses/192.168.10.2/24",
                                       "ns2/routes/default via 192.168.10.1",
                                       "ns2/vethD/state"});
  // up while the exercise runs: nothing to do, the breakage stays.
  CHECK(keep_exercise_start(lab.plan(t), lab.plan(start)).actions.empty());
  // Drift besides the exercise: reported as such, and up repairs only that.
  lab.kernel.link("ns1", "vethB")->up = false;
  classified = classify_findings(lab.plan(t), lab.plan(start));
  CHECK(drift(classified) == std::vector<std::string>{"ns1/vethB/state"});
  CHECK(lines(keep_exercise_start(lab.plan(t), lab.plan(start))) == std::vector<std::string>{"~ ns1:vethB up"});
  // The student repairs vethD by hand: no longer a start point, and up does not break it again.
  lab.kernel.link("ns2", "vethD")->up = true;
  classified = classify_findings(lab.plan(t), lab.plan(start));
  const auto points = start_points(classified);
  CHECK_FALSE(has_line(points, "ns2/vethD/state"));
  CHECK(lines(keep_exercise_start(lab.plan(t), lab.plan(start))) == std::vector<std::string>{"~ ns1:vethB up"});
}

TEST_CASE("exercises: differences in words a student can act on", "[exercise]") {
  using S = Finding::State;
  CHECK(finding_words({S::missing, "ns2/routes/default via 192.168.10.1", "default via 192.168.10.1", ""}) ==
        "ns2 has no default route");
  CHECK(finding_words({S::missing, "ns2/routes/10.0.0.0/8 via 10.1.1.1", "10.0.0.0/8 via 10.1.1.1", ""}) ==
        "ns2 has no route 10.0.0.0/8");
  CHECK(finding_words({S::different, "ns2/vethD/state", "up", "down"}) == "ns2/vethD is down");
  CHECK(finding_words({S::different, "ns2/lo/state", "up", "down"}) == "ns2/lo is down");
  CHECK(finding_words({S::different, "host/sysctls/net.ipv4.ip_forward", "1", "0"}) ==
        "host does not forward IPv4 (net.ipv4.ip_forward is 0)");
  CHECK(finding_words({S::missing, "host/nat", "2 rules", ""}) == "host has no NAT rules (the file has 2 rules)");
  CHECK(finding_words({S::missing, "ns1/vethB/addresses/10.0.0.1/24", "", ""}) == "ns1/vethB has no address 10.0.0.1/24");
  CHECK(finding_words({S::missing, "ns3", "netns", ""}) == "namespace ns3 is missing");
  CHECK(finding_words({S::different, "host/vethA/master", "br0", "(none)"}) == "host/vethA is not a port of br0");
}

TEST_CASE("explain: the first difference on a failed check's path", "[exercise][explain]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  const Check& check = t.checks.front(); // ns1 ping 192.168.10.3 (ns2)
  CHECK(check_path_nodes(t, check) == std::vector<std::string>{"ns1", "host", "ns2"});
  CHECK_FALSE(first_difference(t, check, lab.plan(t).findings));
  lab.kernel.link("ns2", "vethD")->up = false;
  CHECK(first_difference(t, check, lab.plan(t).findings) == "ns2/vethD is down");
  lab.kernel.link("host", "vethA")->up = false; // nearer the source: named first
  CHECK(first_difference(t, check, lab.plan(t).findings) == "host/vethA is down");
}

TEST_CASE("explain: a converged lab names the host's forward DROP with br_netfilter", "[exercise][explain]") {
  Topology t = parse(k_lab);
  const Check& check = t.checks.front();
  NatHostFacts facts;
  CHECK_THAT(likely_cause(t, check, facts), Catch::Contains("firewall inside a namespace"));
  facts.bridge_nf_call_iptables = true;
  facts.drop_forward_chains = {"ip filter FORWARD"};
  CHECK_THAT(likely_cause(t, check, facts),
             Catch::Contains("br_netfilter sends bridged frames through the host's chain 'ip filter FORWARD'") &&
                 Catch::Contains("net.bridge.bridge-nf-call-iptables: 0"));
}

TEST_CASE("preflight: a bridge lab without NAT is warned of br_netfilter and a forward DROP", "[exercise][nft]") {
  Topology t = parse(R"(
name: br
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge}
)");
  NatHostFacts facts;
  facts.bridge_nf_call_iptables = true;
  facts.drop_forward_chains = {"ip filter FORWARD"};
  auto w = nat_preflight_warnings(*t.host_node(), facts);
  REQUIRE_FALSE(w.empty());
  CHECK_THAT(w.front(), Catch::Contains("br_netfilter is loaded") && Catch::Contains("'br0'"));
}
