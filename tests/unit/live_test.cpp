// graph --serve's pure parts: where it may listen, the ids the page colours by,
// and the state document folded from status's findings (FakeKernel).
#include "fake_kernel.hpp"
#include "unit.hpp"

#include <catch2/catch.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/live/listen.hpp>
#include <netlab/live/live_state.hpp>
#include <netlab/live/page.hpp>
#include <netlab/topology/graph.hpp>

#include <nlohmann/json.hpp>

using namespace netlab;
using namespace netlab::test;

namespace {

const char* k_lab = R"(name: live
nodes:
  ns1:
    interfaces:
      veth1: {addresses: [10.0.1.1/24]}
  ns2:
    interfaces:
      veth2: {addresses: [10.0.1.2/24]}
    routes: [default via 10.0.1.1]
links:
  - [ns1:veth1, ns2:veth2]
)";

nlohmann::json state_of(Lab& lab, const Topology& t) {
  auto have = observe_lab(lab.kernel, t, lab.memory);
  REQUIRE(have);
  return live_state_json(t, diff(t, *have, lab.memory), *have);
}

const nlohmann::json& find(const nlohmann::json& list, const char* key, const std::string& value) {
  for (const auto& item : list)
    if (item.at(key) == value) return item;
  FAIL("no " << key << " = " << value << " in " << list.dump());
  throw;
}

} // namespace

TEST_CASE("listen address: loopback by default, anything else is named as such", "[live]") {
  auto d = parse_listen("8080");
  REQUIRE(d);
  CHECK(d->host == "127.0.0.1");
  CHECK(d->port == 8080);
  CHECK(d->loopback);
  CHECK(parse_listen("127.0.0.2:9000")->loopback);
  CHECK(parse_listen("localhost:0")->port == 0);
  CHECK(parse_listen("[::1]:8080")->loopback);
  CHECK(parse_listen("[::1]:8080")->host == "::1");
  auto any = parse_listen("0.0.0.0:8080");
  REQUIRE(any);
  CHECK_FALSE(any->loopback);
  CHECK_FALSE(parse_listen("[::]:80")->loopback);
  CHECK_FALSE(parse_listen("192.168.1.10:80")->loopback);
  CHECK_FALSE(parse_listen("example.org:80"));
  CHECK_FALSE(parse_listen("127.0.0.1:65536"));
  CHECK_FALSE(parse_listen("127.0.0.1:"));
  CHECK_FALSE(parse_listen("::1:8080")); // IPv6 wants brackets
}

TEST_CASE("picture ids are render_dot's names", "[live]") {
  Topology t = parse(k_lab);
  PictureIds ids = picture_ids(t);
  CHECK(ids.nodes.at("ns1") == "cluster_n0");
  CHECK(ids.interfaces.at("ns2/veth2") == "n1_i0");
  REQUIRE(ids.links.size() == 1);
  CHECK(ids.links[0] == "n0_i0--n1_i0");
  const std::string dot = render_dot(t);
  CHECK(dot.find("subgraph \"cluster_n0\"") != std::string::npos);
  CHECK(dot.find("\"n0_i0\" -- \"n1_i0\"") != std::string::npos);
}

TEST_CASE("live state: converged, then a deleted veth marks its link missing", "[live]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  lab.kernel.link("ns1", "veth1")->counters = {7, 9, 700, 900};
  auto ok = state_of(lab, t);
  CHECK(ok["converged"] == true);
  CHECK(ok["findings"].empty());
  const auto& link = ok["links"].at(0);
  CHECK(link["id"] == "n0_i0--n1_i0");
  CHECK(link["state"] == "ok");
  CHECK(link["counters"]["a"]["rx_packets"] == 7);
  CHECK(link["counters"]["a"]["tx_bytes"] == 900);
  const auto& ns2 = find(ok["nodes"], "name", "ns2");
  CHECK(ns2["id"] == "cluster_n1");
  CHECK(ns2["kernel"]["exists"] == true);
  CHECK(find(ns2["kernel"]["interfaces"], "name", "veth2")["addresses"].at(0) == "10.0.1.2/24");

  // Gone by hand: the veth pair goes with its two ends.
  std::erase_if(lab.kernel.nodes["ns1"].links, [](const ObservedLink& l) { return l.name == "veth1"; });
  std::erase_if(lab.kernel.nodes["ns2"].links, [](const ObservedLink& l) { return l.name == "veth2"; });
  auto gone = state_of(lab, t);
  CHECK(gone["converged"] == false);
  CHECK(gone["links"].at(0)["state"] == "missing");
  CHECK(gone["links"].at(0)["counters"]["a"].is_null());
  CHECK(find(gone["interfaces"], "path", "ns1/veth1")["state"] == "missing");
  CHECK(find(gone["interfaces"], "path", "ns2/veth2")["state"] == "missing"); // the pair is one object
  CHECK(find(gone["nodes"], "name", "ns1")["state"] == "ok");
  CHECK_FALSE(gone["findings"].empty());
}

TEST_CASE("live state: a link set down is different on the interface, a missing namespace takes its interfaces",
          "[live]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  lab.kernel.link("ns2", "veth2")->up = false;
  auto s = state_of(lab, t);
  CHECK(find(s["interfaces"], "path", "ns2/veth2")["state"] == "different");
  CHECK(find(s["interfaces"], "path", "ns1/veth1")["state"] == "ok");
  CHECK(s["links"].at(0)["state"] == "different");
  CHECK(find(s["nodes"], "name", "ns2")["state"] == "ok"); // the finding is the interface's

  // A route gone with its link makes the node different (it exists), not every interface in it missing.
  lab.kernel.nodes["ns2"].routes.clear();
  auto no_route = state_of(lab, t);
  CHECK(find(no_route["nodes"], "name", "ns2")["state"] == "different");
  CHECK(find(no_route["interfaces"], "path", "ns2/veth2")["state"] == "different");

  lab.kernel.nodes.erase("ns1");
  auto gone = state_of(lab, t);
  CHECK(find(gone["nodes"], "name", "ns1")["state"] == "missing");
  CHECK(find(gone["nodes"], "name", "ns1")["kernel"]["exists"] == false);
  CHECK(find(gone["interfaces"], "path", "ns1/veth1")["state"] == "missing");
  CHECK(gone["links"].at(0)["state"] == "missing");
}

TEST_CASE("state ranks: the worst finding colours a thing", "[live]") {
  CHECK(state_rank(Finding::State::ok) < state_rank(Finding::State::extra));
  CHECK(state_rank(Finding::State::extra) < state_rank(Finding::State::different));
  CHECK(state_rank(Finding::State::different) < state_rank(Finding::State::missing));
}

TEST_CASE("the live page is self-contained: the SVG inline, nothing fetched from elsewhere", "[live]") {
  auto page = live_page(parse(k_lab));
  REQUIRE(page);
  CHECK(page->find("<title>netlab: live (live)</title>") != std::string::npos);
  CHECK(page->find("<svg") != std::string::npos);
  CHECK(page->find("<?xml") == std::string::npos);
  CHECK(page->find("<!--NETLAB_") == std::string::npos);
  // (the SVG's xmlns names are URLs, but nothing is loaded from them)
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "@import", "<link "})
    CHECK(page->find(fetch) == std::string::npos);
  CHECK(page->find("EventSource(\"events\")") != std::string::npos);
}
