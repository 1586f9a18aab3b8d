// The pure half of `netlab watch`: which namespaces a netlink datagram or a
// /run/netns entry makes dirty, the debounce, the event lines and JSON, and
// re-reading only dirty namespaces into the watcher's Observed.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/watch/event.hpp>

#include <nlohmann/json.hpp>

#include <cstring>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

using namespace netlab;
using netlab::test::FakeKernel;
using netlab::test::Lab;
using netlab::test::parse;
using namespace std::chrono_literals;

namespace {

/// A datagram of netlink messages with these types (each with `payload` bytes of zeros).
std::vector<std::byte> datagram(std::initializer_list<uint16_t> types, size_t payload = 16) {
  std::vector<std::byte> out;
  for (uint16_t t : types) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(payload));
    h.nlmsg_type = t;
    size_t at = out.size();
    out.resize(at + NLMSG_ALIGN(h.nlmsg_len));
    std::memcpy(out.data() + at, &h, sizeof h);
  }
  return out;
}

WatchEvent finding_event(WatchEvent::Kind k, std::string path, std::string state, std::string want,
                         std::string have) {
  WatchEvent e;
  e.kind = k;
  e.path = std::move(path);
  e.state = std::move(state);
  e.want = std::move(want);
  e.have = std::move(have);
  return e;
}

NsRef named(const std::string& n) { return NsRef{n, NodeKind::netns, "/run/netns/" + n}; }

/// Counts which namespaces observe() reads.
class CountingKernel : public FakeKernel {
public:
  Expected<ObservedNs> observe(const NsRef& ns, const ObserveRequest& what) override {
    ++reads[ns.node];
    return FakeKernel::observe(ns, what);
  }
  std::map<std::string, int> reads;
};

const char* k_lab = R"(
name: w
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.0.0.1/24]}
      vethA: {master: br0}
      vethC: {master: br0}
  ns1:
    interfaces:
      vethB: {addresses: [10.0.0.2/24]}
  ns2:
    interfaces:
      vethD: {addresses: [10.0.0.3/24]}
links:
  - [ns1:vethB, host:vethA]
  - [ns2:vethD, host:vethC]
)";

} // namespace

TEST_CASE("watch: link, address, route and netconf messages make a namespace dirty, others do not", "[watch]") {
  for (uint16_t t : {RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNETCONF}) {
    auto d = datagram({t});
    CHECK(rtnl_datagram_matters(d));
  }
  auto neigh = datagram({RTM_NEWNEIGH, RTM_DELNEIGH});
  CHECK_FALSE(rtnl_datagram_matters(neigh));
  auto mixed = datagram({RTM_NEWNEIGH, RTM_DELADDR});
  CHECK(rtnl_datagram_matters(mixed)); // a later message in the same datagram counts
  auto truncated = datagram({RTM_NEWNEIGH});
  truncated.resize(truncated.size() - 4); // nlmsg_len says more than arrived
  CHECK(rtnl_datagram_matters(truncated)); // unsure: read again rather than miss a change
  CHECK_FALSE(rtnl_datagram_matters({}));
}

/// A datagram of link messages (RTM_NEWLINK or RTM_DELLINK) for these ifindexes,
/// laid out as the kernel sends them: header, ifinfomsg, (no attributes).
std::vector<std::byte> link_datagram(uint16_t type, std::initializer_list<int> indexes) {
  std::vector<std::byte> out;
  for (int index : indexes) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(ifinfomsg)));
    h.nlmsg_type = type;
    ifinfomsg ifi{};
    ifi.ifi_index = index;
    size_t at = out.size();
    out.resize(at + NLMSG_ALIGN(h.nlmsg_len));
    std::memcpy(out.data() + at, &h, sizeof h);
    std::memcpy(out.data() + at + NLMSG_HDRLEN, &ifi, sizeof ifi);
  }
  return out;
}

TEST_CASE("watch: events say which links changed, and whether addresses, routes or sysctls did", "[watch]") {
  auto links = link_datagram(RTM_NEWLINK, {7, 9});
  auto gone = link_datagram(RTM_DELLINK, {12});
  links.insert(links.end(), gone.begin(), gone.end());
  NsChange c = rtnl_datagram_changes(links);
  CHECK(c.links == std::set<int>{7, 9, 12});
  CHECK_FALSE(c.all);
  CHECK_FALSE(c.addresses);
  CHECK_FALSE(c.routes);

  c = rtnl_datagram_changes(datagram({RTM_NEWADDR, RTM_DELROUTE, RTM_NEWNETCONF}));
  CHECK(c.links.empty());
  CHECK((c.addresses && c.routes && c.sysctls && !c.all));

  auto short_link = datagram({RTM_NEWLINK}, 4); // no room for an ifinfomsg: unsure
  CHECK(rtnl_datagram_changes(short_link).all);
  auto cut = link_datagram(RTM_NEWLINK, {3});
  cut.resize(cut.size() - 4);
  CHECK(rtnl_datagram_changes(cut).all);
  CHECK(rtnl_datagram_changes(datagram({NLMSG_OVERRUN})).all);
  CHECK_FALSE(rtnl_datagram_changes(datagram({RTM_NEWNEIGH})).any());

  NsChange merged;
  merged.merge(rtnl_datagram_changes(link_datagram(RTM_NEWLINK, {1})));
  merged.merge(rtnl_datagram_changes(datagram({RTM_NEWROUTE})));
  CHECK(merged.links == std::set<int>{1});
  CHECK(merged.routes);

  Dirty d;
  d.nodes["ns1"].links.insert(4);
  d.whole("ns2");
  Dirty more;
  more.nodes["ns1"].addresses = true;
  d.merge(more);
  CHECK((d.nodes["ns1"].links == std::set<int>{4} && d.nodes["ns1"].addresses && !d.nodes["ns1"].all));
  CHECK(d.nodes["ns2"].all);
}

TEST_CASE("watch: nftables notifications count, other netfilter subsystems do not", "[watch]") {
  auto table = datagram({static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE)});
  CHECK(nft_datagram_matters(table));
  auto rule = datagram({static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE)});
  CHECK(nft_datagram_matters(rule));
  auto conntrack = datagram({static_cast<uint16_t>(NFNL_SUBSYS_CTNETLINK << 8)});
  CHECK_FALSE(nft_datagram_matters(conntrack));
}

TEST_CASE("watch: a /run/netns entry maps to the nodes whose namespace it is", "[watch]") {
  std::vector<NsRef> watched{named("ns1"), named("ns2"), NsRef{"host", NodeKind::host, {}},
                             NsRef{"ext", NodeKind::external, "/run/netns/other"}};
  CHECK(nodes_for_netns_entry(watched, "ns1") == std::vector<std::string>{"ns1"});
  CHECK(nodes_for_netns_entry(watched, "ns3").empty());      // not the lab's
  CHECK(nodes_for_netns_entry(watched, "other").empty());    // external: never made or repaired by the lab
  CHECK(nodes_for_netns_entry(watched, "../ns1").empty());
  CHECK(is_topology_entry("lab.yaml", "/tmp/x/lab.yaml"));
  CHECK_FALSE(is_topology_entry(".lab.yaml.swp", "/tmp/x/lab.yaml"));
  CHECK_FALSE(is_topology_entry("", "/tmp/x/lab.yaml"));
}

TEST_CASE("watch: a burst settles after the quiet time, a stream is served by the maximum delay", "[watch]") {
  Debouncer d(2ms, 10ms);
  const auto t0 = Debouncer::Clock::time_point{} + 1s;
  CHECK_FALSE(d.due());
  d.note(t0);
  CHECK(*d.due() == t0 + 2ms);
  d.note(t0 + 1ms);
  CHECK(*d.due() == t0 + 3ms); // each event pushes it back
  for (int i = 2; i < 20; ++i) d.note(t0 + std::chrono::milliseconds(i));
  CHECK(*d.due() == t0 + 10ms); // but never past first + max
  CHECK(*d.take() == t0);       // the burst's first event: what latency is measured from
  CHECK_FALSE(d.pending());
  CHECK_FALSE(d.due());
}

TEST_CASE("watch: a file saved whole is due at once, and the next burst waits again", "[watch]") {
  Debouncer d(2ms, 10ms);
  const auto t0 = Debouncer::Clock::time_point{} + 1s;
  d.note(t0);
  d.note_complete(t0 + 1ms); // renamed over the file: nothing more to wait for
  CHECK(*d.due() == t0 + 1ms);
  CHECK(*d.take() == t0);
  d.note(t0 + 5ms);
  CHECK(*d.due() == t0 + 7ms);
}

TEST_CASE("watch: repair, drift, edit and invalid lines", "[watch]") {
  WatchEvent e = finding_event(WatchEvent::Kind::repair, "ns2/vethD/state", "different", "up", "down");
  e.ms = 3.14;
  CHECK(format_watch_event(e) == "repaired ns2/vethD/state: want up, had down (3.1 ms)");
  e.kind = WatchEvent::Kind::drift;
  e.ms.reset();
  CHECK(format_watch_event(e) == "drift ns2/vethD/state: want up, have down");
  WatchEvent gone = finding_event(WatchEvent::Kind::repair, "ns1/vethB", "missing", "", "");
  gone.ms = 4.0;
  CHECK(format_watch_event(gone) == "repaired ns1/vethB: was missing (4.0 ms)");
  WatchEvent edit;
  edit.kind = WatchEvent::Kind::edit;
  edit.changes = 3;
  edit.ms = 12.0;
  CHECK(format_watch_event(edit) == "edit applied: 3 changes in 12 ms");
  WatchEvent bad;
  bad.kind = WatchEvent::Kind::invalid;
  bad.message = "lab.yaml: not applied; the lab stays as it was";
  bad.problems = {"lab.yaml:4:7: unknown key 'interfacez'"};
  CHECK(format_watch_event(bad) == "lab.yaml:4:7: unknown key 'interfacez'\nlab.yaml: not applied; the lab stays as it was");
  WatchEvent evil = finding_event(WatchEvent::Kind::drift, "ns1/\x1b[2Jx", "extra", "", "");
  CHECK(format_watch_event(evil).find('\x1b') == std::string::npos); // names reach the terminal escaped
}

TEST_CASE("watch: --json is one object per line with the event's fields", "[watch][json]") {
  WatchEvent e = finding_event(WatchEvent::Kind::repair, "ns2/vethD/state", "different", "up", "down");
  e.ms = 3.5;
  std::string line = watch_event_json("lab1", e);
  CHECK(line.find('\n') == std::string::npos);
  auto j = nlohmann::json::parse(line);
  CHECK(j == nlohmann::json{{"schema_version", 1}, {"event", "repair"}, {"lab", "lab1"}, {"path", "ns2/vethD/state"},
                            {"state", "different"}, {"want", "up"}, {"have", "down"}, {"ms", 3.5}});
  WatchEvent bad;
  bad.kind = WatchEvent::Kind::invalid;
  bad.message = "not applied";
  bad.problems = {"f:1:2: x"};
  auto b = nlohmann::json::parse(watch_event_json("lab1", bad));
  CHECK(b["problems"] == nlohmann::json::array({"f:1:2: x"}));
  CHECK_FALSE(b.contains("want"));
  WatchEvent edit;
  edit.kind = WatchEvent::Kind::edit;
  edit.changes = 2;
  edit.ms = 1.0;
  CHECK(nlohmann::json::parse(watch_event_json("lab1", edit))["changes"] == 2);
}

TEST_CASE("watch: only dirty namespaces are read again, and the diff sees just their drift", "[watch][engine]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  CountingKernel k;
  k.nodes = lab.kernel.nodes;
  auto have = observe_lab(k, t, lab.memory);
  REQUIRE(have);
  k.reads.clear();
  k.link("ns2", "vethD")->up = false;        // drift in ns2 ...
  k.link("ns1", "vethB")->addresses.clear(); // ... and in ns1, whose events have not arrived yet
  std::set<std::string> dirty{"ns2"};
  auto seen = observe_nodes(k, t, lab.memory, &dirty);
  REQUIRE(seen);
  CHECK(k.reads == std::map<std::string, int>{{"ns2", 1}});
  for (auto& [node, ns] : seen->nodes) have->nodes.insert_or_assign(node, ns);
  Plan p = diff(t, *have, lab.memory);
  std::vector<std::string> drift;
  for (const auto& f : p.findings)
    if (f.state != Finding::State::ok) drift.push_back(f.path);
  CHECK(drift == std::vector<std::string>{"ns2/vethD/state"});
}

TEST_CASE("watch: names_gone finds the node names an edit's text plainly dropped", "[watch]") {
  const std::set<std::string_view> nodes{"n1", "n10", "n2", "ns"};
  auto is_node = [&](std::string_view w) { return nodes.contains(w); };
  using Names = std::vector<std::string>;
  const std::string before = "nodes:\n  n1: {}\n  n2:\n    interfaces: {eth0: {}}\n  n10: {}\nlinks:\n"
                             "  - [n2:eth0, n10:eth0]\n";
  SECTION("a node and its link removed") {
    std::string after = "nodes:\n  n1: {}\n  n10: {}\nlinks:\n";
    CHECK(names_gone(before, after, is_node) == Names{"n2"});
  }
  SECTION("a name still written elsewhere, or inside a longer word, is not gone") {
    CHECK(names_gone(before, "nodes:\n  n10: {}\n  n2: {}\n", is_node) == Names{}); // n1 inside n10
    CHECK(names_gone(before, "nodes:\n  n1: {}\n  n10: {}\nlinks:\n  - [n2:eth0, n10:eth0]\n", is_node).empty());
  }
  SECTION("a line moved, or only a value changed, drops nothing") {
    CHECK(names_gone(before, "nodes:\n  n10: {}\n  n1: {}\n  n2:\n    interfaces: {eth0: {}}\nlinks:\n"
                             "  - [n2:eth0, n10:eth0]\n",
                     is_node)
              .empty());
    CHECK(names_gone("a: 1\nb: n2\n", "a: 2\nb: n2\n", is_node).empty());
  }
  SECTION("empty or whole texts") {
    CHECK(names_gone("", "", is_node).empty());
    CHECK(names_gone("x: ns\n", "", is_node) == Names{"ns"});
    CHECK(names_gone("x: ns", "x: ns", is_node).empty());
  }
}
