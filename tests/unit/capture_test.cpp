// netlab capture without a kernel: the pcapng bytes (read back by the tests'
// own reader), the one-line summaries, NODE:IF resolution, and exec's line prefixing.
#include "pcapng_reader.hpp"
#include "unit.hpp"

#include <netlab/capture/pcapng.hpp>
#include <netlab/capture/summary.hpp>
#include <netlab/capture/targets.hpp>
#include <netlab/check/fanout.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace netlab;

namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> b) {
  std::vector<uint8_t> v;
  for (int x : b)
    v.push_back(static_cast<uint8_t>(x));
  return v;
}

/// Ethernet header to 02:..:02 from 02:..:01 with `ethertype`, then `payload`.
std::vector<uint8_t> ether(uint16_t ethertype, const std::vector<uint8_t>& payload) {
  auto f = bytes({2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ethertype >> 8, ethertype & 0xff});
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

/// IPv4 header 10.0.1.1 -> 10.0.1.2 with protocol `proto`, then `l4`.
std::vector<uint8_t> ipv4(uint8_t proto, const std::vector<uint8_t>& l4) {
  const int total = 20 + static_cast<int>(l4.size());
  auto p = bytes({0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 1, 1, 10, 0, 1, 2});
  p.insert(p.end(), l4.begin(), l4.end());
  return p;
}

const char* k_lab = R"(
name: cap
nodes:
  ns1: {interfaces: {veth1: {addresses: [10.0.1.1/24]}, tap0: {kind: tap}}}
  ns2: {interfaces: {veth2: {addresses: [10.0.1.2/24]}}}
links:
  - [ns1:veth1, ns2:veth2]
)";

std::vector<std::string> wheres(const std::vector<CaptureTarget>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts)
    out.push_back(t.where());
  return out;
}

} // namespace

TEST_CASE("pcapng: header, one IDB per interface naming node:if, EPBs with direction", "[capture]") {
  const auto frame = bytes({1, 2, 3, 4, 5}); // odd length: padded to 32 bits
  std::string file = pcapng_section_header() + pcapng_interface(1, 262144, "ns1:veth1", "ns1:veth1 (lab cap)") +
                     pcapng_interface(101, 65535, "ns2:tun0", "ns2:tun0 (lab cap)") +
                     pcapng_packet(1, 1'700'000'000'123'456'789ull, frame, 60, Direction::out) +
                     pcapng_packet(0, 1'700'000'000'200'000'000ull, frame, 5, Direction::in) +
                     pcapng_packet(0, 1, {}, 0, Direction::unknown);
  REQUIRE(file.size() % 4 == 0);
  auto parsed = nltest::parse_pcapng(file);
  REQUIRE(parsed);
  REQUIRE(parsed->interfaces.size() == 2);
  CHECK(parsed->interfaces[0].linktype == 1);
  CHECK(parsed->interfaces[0].snaplen == 262144);
  CHECK(parsed->interfaces[0].name == "ns1:veth1");
  CHECK(parsed->interfaces[0].description == "ns1:veth1 (lab cap)");
  CHECK(parsed->interfaces[0].tsresol == 9);
  CHECK(parsed->interfaces[1].linktype == 101);
  REQUIRE(parsed->packets.size() == 3);
  CHECK(parsed->packets[0].interface == 1);
  CHECK(parsed->packets[0].ts == 1'700'000'000'123'456'789ull);
  CHECK(parsed->packets[0].orig_len == 60);
  CHECK(parsed->packets[0].data == std::string("\1\2\3\4\5"));
  CHECK(parsed->packets[0].flags == 2);
  CHECK(parsed->packets[1].flags == 1);
  CHECK(parsed->packets[2].flags == 0);
  CHECK(parsed->packets[2].data.empty());
}

TEST_CASE("summary: ICMP echo, TCP and UDP ports, ARP, IPv6, VLAN, truncation", "[capture]") {
  auto echo = ipv4(1, bytes({8, 0, 0, 0, 0x12, 0x34, 0, 7, 'x'}));
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0800, echo)) == "ICMP 10.0.1.1 > 10.0.1.2 echo request id 4660 seq 7");
  auto reply = ipv4(1, bytes({0, 0, 0, 0, 0, 1, 0, 2}));
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0800, reply)) == "ICMP 10.0.1.1 > 10.0.1.2 echo reply id 1 seq 2");
  auto syn = ipv4(6, bytes({0x9c, 0x40, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0}));
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0800, syn)) == "TCP 10.0.1.1:40000 > 10.0.1.2:80 [S]");
  auto udp = ipv4(17, bytes({0, 53, 0x14, 0xe9, 0, 12, 0, 0, 1, 2, 3, 4}));
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0800, udp)) == "UDP 10.0.1.1:53 > 10.0.1.2:5353 length 4");
  CHECK(summarize_packet(k_linktype_raw, echo) == "ICMP 10.0.1.1 > 10.0.1.2 echo request id 4660 seq 7");
  auto who_has = bytes({0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 1, 1, 0, 0, 0, 0, 0, 0, 10, 0, 1, 2});
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0806, who_has)) == "ARP who-has 10.0.1.2 tell 10.0.1.1");
  auto is_at = bytes({0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 2, 10, 0, 1, 2, 2, 0, 0, 0, 0, 1, 10, 0, 1, 1});
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0806, is_at)) == "ARP 10.0.1.2 is-at 02:00:00:00:00:02");
  std::vector<uint8_t> v6 = bytes({0x60, 0, 0, 0, 0, 8, 58, 64});
  auto fd00 = [](int last) { return bytes({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}); };
  for (int last : {1, 2})
    for (auto b : fd00(last))
      v6.push_back(b);
  for (auto b : bytes({128, 0, 0, 0, 0, 9, 0, 1}))
    v6.push_back(b);
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x86dd, v6)) == "ICMP6 fd00::1 > fd00::2 echo request id 9 seq 1");
  auto tagged = bytes({0, 10, 0x08, 0x00});
  tagged.insert(tagged.end(), echo.begin(), echo.end());
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x8100, tagged)) ==
        "vlan 10 ICMP 10.0.1.1 > 10.0.1.2 echo request id 4660 seq 7");
  CHECK(summarize_packet(k_dlt_ethernet, bytes({1, 2, 3})) == "ethernet truncated");
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x0800, bytes({0x45, 0}))) == "IP truncated");
  CHECK(summarize_packet(k_dlt_ethernet, ether(0x88cc, bytes({1, 2}))) == "ethertype 0x88cc, 2 bytes");
  CHECK(summarize_packet(147, bytes({1})) == "linktype 147, 1 bytes");
}

TEST_CASE("summary line: time, node:if padded, direction, summary", "[capture]") {
  CHECK(format_packet_line("12:00:01.000002", "ns1:veth1", 11, Direction::out, "ICMP a > b") ==
        "12:00:01.000002 ns1:veth1   out ICMP a > b");
  CHECK(format_packet_line("12:00:01.000002", "ns2:veth2", 9, Direction::in, "ARP") ==
        "12:00:01.000002 ns2:veth2 in  ARP");
  CHECK(format_packet_line("t", "a:b", 3, Direction::unknown, "x") == "t a:b -   x");
  const std::string t = format_capture_time(1'700'000'000'123'456'789ull);
  CHECK(t.size() == 15);
  CHECK(t.substr(8) == ".123456");
}

TEST_CASE("capture targets: NODE:IF, NODE:*, --both-ends, did-you-mean", "[capture]") {
  const Topology topo = test::parse(k_lab);
  auto one = resolve_capture_targets(topo, {"ns1:veth1"}, BothEnds::no);
  REQUIRE(one);
  CHECK(wheres(*one) == std::vector<std::string>{"ns1:veth1"});
  CHECK((*one)[0].ns.path == "/run/netns/ns1");
  auto both = resolve_capture_targets(topo, {"ns1:veth1", "ns2:veth2"}, BothEnds::yes);
  REQUIRE(both);
  CHECK(wheres(*both) == std::vector<std::string>{"ns1:veth1", "ns2:veth2"});
  auto star = resolve_capture_targets(topo, {"ns1:*", "ns1:lo"}, BothEnds::yes);
  REQUIRE(star);
  CHECK(wheres(*star) == std::vector<std::string>{"ns1:veth1", "ns2:veth2", "ns1:tap0", "ns1:lo"});
  CHECK(capture_description("cap", (*star)[0]) == "ns1:veth1 (lab cap, veth to ns2:veth2)");

  auto node = resolve_capture_targets(topo, {"ns3:veth1"}, BothEnds::no);
  REQUIRE_FALSE(node);
  CHECK(node.error().code == ExitCode::usage);
  CHECK(node.error().message == "lab 'cap' has no node 'ns3' (did you mean 'ns1'?)");
  auto iface = resolve_capture_targets(topo, {"ns1:vet1"}, BothEnds::no);
  REQUIRE_FALSE(iface);
  CHECK(iface.error().code == ExitCode::usage);
  CHECK(iface.error().message == "node 'ns1' has no interface 'vet1' (did you mean 'veth1'?)");
  auto word = resolve_capture_targets(topo, {"veth1"}, BothEnds::no);
  REQUIRE_FALSE(word);
  CHECK(word.error().code == ExitCode::usage);
}

TEST_CASE("exec fan-out: whole lines, each prefixed, the last one finished", "[capture][exec]") {
  LinePrefixer p("ns1: ");
  CHECK(p.feed("hel") == "");
  CHECK(p.feed("lo\nwor") == "ns1: hello\n");
  CHECK(p.feed("ld\n\nx") == "ns1: world\nns1: \n");
  CHECK(p.finish() == "ns1: x\n");
  CHECK(p.finish() == "");
}
