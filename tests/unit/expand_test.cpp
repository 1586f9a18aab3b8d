// The expansion stage: ${VAR}, defaults, templates, merge keys, ranges, pools,
// duplicates after expansion, positions and origins in errors, `--expand` output.
#include <catch2/catch.hpp>

#include "../../bench/labs.hpp"
#include "unit.hpp"
#include <netlab/topology/expand.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

using namespace netlab;
using netlab::test::parse;
using netlab::test::problems;

namespace {

/// The expansion error of a file the loader refuses.
std::string expand_error(const std::string& yaml) {
  auto raw = load_string(yaml, "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().code == ExitCode::usage);
  return raw.error().message;
}

/// The expanded file as `validate --expand` prints it.
std::string expanded(const std::string& yaml) {
  auto raw = load_string(yaml, "t.yaml");
  REQUIRE(raw);
  return to_yaml(raw->root);
}

const Node& node(const Topology& t, const std::string& name) {
  const Node* n = t.find_node(name);
  REQUIRE(n);
  return *n;
}

std::string addr(const Node& n, std::size_t iface = 0, std::size_t k = 0) {
  REQUIRE(n.interfaces.size() > iface);
  REQUIRE(n.interfaces[iface].addresses.size() > k);
  return n.interfaces[iface].addresses[k].str();
}

} // namespace

TEST_CASE("expand: ${VAR} and ${VAR:-default} in any scalar", "[expand]") {
  ::setenv("NETLAB_T_UPLINK", "eth7", 1);
  ::unsetenv("NETLAB_T_UNSET");
  auto t = parse("name: lab\nnodes:\n  ns1:\n    interfaces:\n"
                 "      ${NETLAB_T_UPLINK}: {kind: dummy, mtu: \"${NETLAB_T_UNSET:-1400}\"}\n"
                 "      v$${x}: {kind: dummy}\n");
  const Node& n = node(t, "ns1");
  REQUIRE(n.interfaces.size() == 2);
  CHECK(n.interfaces[0].name == "eth7");
  CHECK(n.interfaces[0].mtu == 1400u);
  CHECK(expanded("name: \"a$${b}\"\nnodes: {ns1: }\n").starts_with("name: \"a${b}\"\n"));
  ::unsetenv("NETLAB_T_UPLINK");
}

TEST_CASE("expand: an unset variable without default is an error at its value", "[expand]") {
  ::unsetenv("NETLAB_T_UNSET");
  CHECK(expand_error("name: lab\nnodes:\n  ns1:\n    interfaces:\n      eth0: {mtu: \"${NETLAB_T_UNSET}\"}\n") ==
        "t.yaml:5:19: environment variable 'NETLAB_T_UNSET' is not set (write ${NETLAB_T_UNSET:-default} to give a "
        "default)");
  CHECK(expand_error("name: lab\nnodes: {\"${1x}\": }\n") ==
        "t.yaml:2:9: '${1x}' does not name an environment variable (letters, digits and '_')");
  CHECK(expand_error("name: \"${oops\"\nnodes: {ns1: }\n") == "t.yaml:1:7: '${' without a closing '}' in '${oops'");
}

TEST_CASE("expand: templates, defaults and merge keys", "[expand]") {
  auto t = parse(R"(name: lab
x-base: &base {forwarding: true}
defaults:
  node: {sysctls: {net.ipv4.conf.all.rp_filter: 0}}
  link: {impair: {delay: 5ms}}
templates:
  router: {forwarding: true, interfaces: {lan: {kind: bridge, addresses: [10.9.0.1/24]}}}
nodes:
  host: {kind: host, interfaces: {h1: {}}}
  r1: {template: router, interfaces: {up: {}}}
  ns1: {<<: *base, interfaces: {a: {}}}
  ns2: {forwarding: false, interfaces: {b: {}}}
links:
  - [ns1:a, ns2:b]
  - {endpoints: [r1:up, host:h1], impair: {delay: 9ms}}
)");
  const Node& r1 = node(t, "r1");
  CHECK(r1.forwarding == true);
  REQUIRE(r1.interfaces.size() == 2);
  CHECK(r1.interfaces[0].name == "up");
  CHECK(r1.interfaces[1].name == "lan");
  CHECK(r1.sysctls.size() == 1);
  CHECK(node(t, "ns1").forwarding == true);
  CHECK(node(t, "ns2").forwarding == false);
  CHECK(node(t, "host").sysctls.empty()); // the host namespace takes no defaults
  REQUIRE(t.links.size() == 2);
  REQUIRE(t.links[0].impair);
  CHECK(t.links[0].impair->delay_us == 5000u);
  CHECK(t.links[1].impair->delay_us == 9000u);
}

TEST_CASE("expand: an unknown template is an error at its name", "[expand]") {
  CHECK(expand_error("name: lab\ntemplates:\n  router: {forwarding: true}\nnodes:\n  r1: {template: ruoter}\n") ==
        "t.yaml:5:18: 'template' names no template: 'ruoter' (templates: router)");
  CHECK(expand_error("name: lab\ndefaults: {nodes: {}}\nnodes: {ns1: }\n") ==
        "t.yaml:2:12: unknown key 'nodes' in 'defaults' (it holds 'node' and 'link')");
}

TEST_CASE("expand: a node range with {i} and arithmetic in names, addresses and routes", "[expand]") {
  auto t = parse(R"(name: lab
nodes:
  ns{1..600}:
    interfaces:
      veth{i}: {kind: dummy, addresses: ["10.0.{i/250}.{i%250+1}/16"]}
    routes: ["10.{i%3}.0.0/16 via 10.0.0.{(i*7)%200+2}"]
)");
  REQUIRE(t.nodes.size() == 600);
  const Node& n = node(t, "ns499");
  CHECK(n.interfaces[0].name == "veth499");
  CHECK(addr(n) == "10.0.1.250/16");
  CHECK(addr(node(t, "ns500")) == "10.0.2.1/16");
  REQUIRE(n.routes.size() == 1);
  CHECK(n.routes[0].to.str() == "10.1.0.0/16");
}

TEST_CASE("expand: ranges in interface keys, links, checks and nested lists", "[expand]") {
  auto t = parse(R"(name: lab
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.0.0.1/24]}
      v{1..3}: {master: br0}
  ns{1..3}:
    interfaces: {eth0: {addresses: ["10.0.0.{i+10}/24"]}}
  r1:
    interfaces: {lan: {kind: bridge, addresses: ["10.1.{0..1}.{i+1}/24"]}}
links:
  - ["ns{1..3}:eth0", "host:v{i}"]
checks:
  - {from: "ns{1..3}", ping: 10.0.0.1}
)");
  CHECK(node(t, "host").interfaces.size() == 4);
  REQUIRE(t.links.size() == 3);
  CHECK(t.links[2].a.str() == "ns3:eth0");
  CHECK(t.links[2].b.str() == "host:v3");
  CHECK(t.checks.size() == 3);
  CHECK(addr(node(t, "ns2")) == "10.0.0.12/24");
  const Node& r1 = node(t, "r1");
  REQUIRE(r1.interfaces[0].addresses.size() == 2);
  CHECK(addr(r1, 0, 0) == "10.1.0.1/24");
  CHECK(addr(r1, 0, 1) == "10.1.1.2/24");
}

TEST_CASE("expand: range and expression errors carry their position", "[expand]") {
  CHECK(expand_error("name: lab\nnodes:\n  ns{5..1}: {}\n") ==
        "t.yaml:3:3: range {5..1} ends before it starts (5 > 1)");
  CHECK(expand_error("name: lab\nnodes:\n  ns{1..2000000}: {}\n") ==
        "t.yaml:3:3: range {1..2000000} repeats more than 1000000 times");
  CHECK(expand_error("name: lab\nnodes:\n  ns1: {interfaces: {\"veth{i}\": {}}}\n") ==
        "t.yaml:3:22: in 'veth{i}': {i}: 'i' outside a range (a range such as ns{1..5} in a name or list item defines "
        "it)");
  CHECK(expand_error("name: lab\nnodes:\n  ns{1..2}: {interfaces: {e: {mtu: \"{i/0}\"}}}\n") ==
        "t.yaml:3:36: in '{i/0}': {i/0}: division by zero (ns1 from range ns{1..2})\n"
        "t.yaml:3:36: in '{i/0}': {i/0}: division by zero (ns2 from range ns{1..2})");
  CHECK(expand_error("name: lab\nnodes:\n  ns1: {interfaces: {e: {mtu: \"{1..3}\"}}}\n") ==
        "t.yaml:3:31: range {1..3} in '{1..3}' repeats nothing here: a range belongs in a mapping key (a node or "
        "interface name) or a list item");
}

TEST_CASE("expand: arithmetic beyond 64 bits is an error, never an overflow", "[expand]") {
  for (const char* e : {"{999999999999999*999999999999999}", "{0-999999999999999*999999999*99999}",
                        "{-(999999999*999999999*9*2*2*2*2*2*2*2*2*2*2*2*2)}"}) {
    INFO(e);
    std::string msg = expand_error(std::string("name: lab\nnodes:\n  ns1: {interfaces: {e: {mtu: \"") + e + "\"}}}\n");
    CHECK(msg.find("too large") != std::string::npos);
  }
  CHECK(expand_error("name: lab\nnodes:\n  ns{-999999999999999*9000..999999999999999*9000}: {}\n").find("repeats more") !=
        std::string::npos);
}

TEST_CASE("expand: the validator names the expansion that made a bad value", "[expand]") {
  auto p = problems("name: lab\ntemplates:\n  t: {interfaces: {e: {kind: dummy, mtu: \"{i*30}\"}}}\nnodes:\n"
                    "  ns{2..3}: {template: t}\n");
  REQUIRE(p.size() == 1);
  CHECK(p[0] == "t.yaml:3:42: 'mtu' must be between 68 and 65535, got 60 (ns2 from range ns{2..3}, template 't')");
}

TEST_CASE("expand: pools hand out host addresses in order, skipping used ones", "[expand]") {
  auto t = parse(R"(name: lab
pools: {lan: 10.0.0.0/28, v6: "fd00::/64"}
nodes:
  host:
    kind: host
    interfaces: {br0: {kind: bridge, addresses: [10.0.0.1/29]}}
  ns{1..4}:
    interfaces: {eth0: {kind: dummy, addresses: [{pool: lan}, {pool: v6}]}}
  ns5: {interfaces: {eth0: {kind: dummy, addresses: [10.0.0.3/28]}}}
  ns6: {interfaces: {eth0: {kind: dummy, addresses: {pool: lan}}}}
)");
  CHECK(addr(node(t, "ns1")) == "10.0.0.2/28");
  CHECK(addr(node(t, "ns2")) == "10.0.0.4/28"); // .3 is ns5's
  CHECK(addr(node(t, "ns4")) == "10.0.0.6/28");
  CHECK(addr(node(t, "ns1"), 0, 1) == "fd00::1/64");
  CHECK(addr(node(t, "ns6")) == "10.0.0.7/28"); // in the order of the expanded file
  CHECK(expand_error("name: lab\npools: {lan: 10.0.0.0/30}\nnodes:\n  ns{1..3}: {interfaces: {e: {addresses: [{pool: "
                     "lan}]}}}\n") ==
        "t.yaml:4:43: ns3: pool 'lan' (10.0.0.0/30) has no address left (ns3 from range ns{1..3})");
  CHECK(expand_error("name: lab\nnodes:\n  ns1: {interfaces: {e: {addresses: [{pool: wan}]}}}\n") ==
        "t.yaml:3:45: 'pool' names no pool: 'wan' (declare it under 'pools:')");
  CHECK(expand_error("name: lab\npools: {lan: 10.0.0/8}\nnodes: {ns1: }\n") ==
        "t.yaml:2:14: pool 'lan' must be a prefix such as 10.0.0.0/16, got '10.0.0/8'");
}

TEST_CASE("expand: duplicate names and addresses after expansion name both origins", "[expand]") {
  CHECK(expand_error("name: lab\nnodes:\n  ns3: {}\n  ns{1..4}: {}\n") ==
        "t.yaml:4:3: duplicate node 'ns3' (first defined at 3:3) (ns3 from range ns{1..4})");
  CHECK(expand_error(
            "name: lab\nnodes:\n  ns{1..1000}:\n    interfaces: {e: {addresses: [\"10.0.{i/500}.{i%250}/16\"]}}\n")
            .starts_with("t.yaml:4:34: ns251: address 10.0.0.1/16 already used by ns1 (at 4:34, ns1 from range "
                         "ns{1..1000}) (ns251 from range ns{1..1000})\n"));
}

TEST_CASE("expand: a file without compact syntax is unchanged", "[expand]") {
  const std::string yaml = "name: lab\nnodes:\n  ns1:\n    interfaces:\n      eth0: {addresses: [10.0.0.1/24]}\n";
  CHECK(expanded(yaml) == "name: lab\nnodes: {ns1: {interfaces: {eth0: {addresses: [10.0.0.1/24]}}}}\n");
}

TEST_CASE("expand: the printed expansion loads back to the same tree", "[expand]") {
  const std::string yaml = R"(name: lab
message: |
  two lines: "quoted" \ and # not a comment
  second
pools: {lan: 10.0.0.0/24}
nodes:
  ns{1..3}:
    loopback: down
    interfaces: {eth0: {addresses: [{pool: lan}], mtu: 1400}}
    routes: ["default via 10.0.0.1", {to: null, via: "::1"}]
)";
  std::string once = expanded(yaml);
  CHECK(expanded(once) == once);
  CHECK(once.find("ns3:\n") != std::string::npos);
  CHECK(once.find("10.0.0.3/24") != std::string::npos);
}

TEST_CASE("expand: bench/star-1000.yaml is the benchmark's star-1000", "[expand]") {
  auto compact = load_file(NETLAB_SOURCE_DIR "/bench/star-1000.yaml");
  REQUIRE(compact);
  auto generated = load_string(bench::star_yaml(1000, false), "star.yaml");
  REQUIRE(generated);
  CHECK(to_yaml(compact->root) == to_yaml(generated->root));
  auto topo = validate(*compact);
  REQUIRE(topo);
  CHECK(topo->nodes.size() == 1001);
  CHECK(topo->links.size() == 1000);
}

TEST_CASE("expand: bench/tree.yaml is the benchmark's tree-N", "[expand]") {
  ::setenv("LEAVES", "2", 1);
  ::setenv("PER_LEAF", "3", 1);
  auto compact = load_file(NETLAB_SOURCE_DIR "/bench/tree.yaml");
  ::unsetenv("LEAVES");
  ::unsetenv("PER_LEAF");
  REQUIRE(compact);
  auto generated = load_string(bench::Shape{2, 3}.yaml(false), "tree.yaml");
  REQUIRE(generated);
  CHECK(to_yaml(compact->root) == to_yaml(generated->root));
  auto topo = validate(*compact);
  REQUIRE(topo);
  CHECK(topo->nodes.size() == 7);
  CHECK(topo->links.size() == 8);
}

TEST_CASE("expand: bench/chain.yaml is a chain of N routers", "[expand]") {
  ::setenv("CHAIN_N", "4", 1);
  auto compact = load_file(NETLAB_SOURCE_DIR "/bench/chain.yaml");
  ::unsetenv("CHAIN_N");
  REQUIRE(compact);
  const std::string long_hand = R"(name: chain
version: 1
nodes:
  r1:
    interfaces: {right: {addresses: [10.0.1.1/30]}}
    routes: [default via 10.0.1.2]
  r2:
    interfaces: {left: {addresses: [10.0.1.2/30]}, right: {addresses: [10.0.2.1/30]}}
    routes: [192.168.255.0/24 via 10.0.2.2, default via 10.0.1.1]
    forwarding: true
  r3:
    interfaces: {left: {addresses: [10.0.2.2/30]}, right: {addresses: [10.0.3.1/30]}}
    routes: [192.168.255.0/24 via 10.0.3.2, default via 10.0.2.1]
    forwarding: true
  r4:
    interfaces: {left: {addresses: [10.0.3.2/30]}, lan: {kind: bridge, addresses: [192.168.255.1/24]}}
    routes: [default via 10.0.3.1]
links:
  - [r1:right, r2:left]
  - [r2:right, r3:left]
  - [r3:right, r4:left]
checks:
  - {from: r1, ping: 192.168.255.1}
)";
  auto want = load_string(long_hand, "chain.yaml");
  REQUIRE(want);
  CHECK(to_yaml(compact->root) == to_yaml(want->root));
  auto topo = validate(*compact);
  REQUIRE(topo);
  CHECK(render_dot(*topo) == render_dot(*validate(*want)));
  auto hundred = load_and_validate(NETLAB_SOURCE_DIR "/bench/chain.yaml");
  REQUIRE(hundred);
  CHECK(hundred->nodes.size() == 100);
}
