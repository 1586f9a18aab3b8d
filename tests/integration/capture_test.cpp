// netlab capture and exec --all / --nodes on live labs: both ends of a veth
// into one pcapng, the summary lines, BPF filters, DNAT seen on the two sides
// of the NAT node, -c, unknown nodes, a lab that is not up. Each case runs in
// its own sandbox (sandbox_main.cpp), so the traffic never leaves it.
#include "cli.hpp"
#include "pcapng_reader.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace nltest;

namespace {

/// `netlab capture ARGS` running in the background, stdout and stderr to files.
struct Background {
  pid_t pid = -1;
  std::string out, err;
};

Background start_capture(const std::string& args) {
  Background b{-1, write_temp("capture.out", ""), write_temp("capture.err", "")};
  const std::string cmd = "exec " + std::string(NETLAB_BINARY) + " capture " + args + " >" + b.out + " 2>" + b.err;
  b.pid = fork();
  REQUIRE(b.pid >= 0);
  if (b.pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Its handles are open once it says "capturing on".
  for (int i = 0; i < 100 && read_file(b.err).find("capturing on") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE_THAT(read_file(b.err), Catch::Contains("capturing on"));
  return b;
}

/// Waits for it (after `signal`, unless 0) at most 10 s; returns its exit code and stderr.
Run finish(const Background& b, int signal = 0) {
  if (signal) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the last packets through the reorder window
    kill(b.pid, signal);
  }
  int status = 0;
  for (int i = 0; i < 200 && waitpid(b.pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (waitpid(b.pid, &status, WNOHANG) == 0) {
    kill(b.pid, SIGKILL);
    waitpid(b.pid, &status, 0);
    FAIL("capture did not stop");
  }
  Run r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(b.err)};
  UNSCOPED_INFO("capture -> " << r.rc << "\nstderr:\n" << r.out << "\nstdout:\n" << read_file(b.out));
  return r;
}

/// The ICMP type of an Ethernet/IPv4 frame, -1 for anything else.
int icmp_type(const std::string& frame) {
  if (frame.size() < 14 + 20 + 1 || frame[12] != 0x08 || frame[13] != 0x00) return -1;
  const size_t ihl = (static_cast<uint8_t>(frame[14]) & 0x0f) * 4u;
  if (frame[14 + 9] != 1 || frame.size() <= 14 + ihl) return -1;
  return static_cast<uint8_t>(frame[14 + ihl]);
}

bool has(const Pcapng& f, uint32_t iface, int type, uint32_t flags) {
  for (const auto& p : f.packets)
    if (p.interface == iface && icmp_type(p.data) == type && p.flags == flags) return true;
  return false;
}

} // namespace

TEST_CASE("capture: both ends of a veth into one pcapng while a ping runs", "[capture]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  const std::string file = write_temp("both.pcapng", "");
  Background cap = start_capture("-l veth-pair ns1:veth1 --both-ends -w " + file);
  CHECK(netlab("exec ns1 -- ping -c 2 -i 0.2 -W 1 10.0.1.2").rc == 0);
  Run r = finish(cap, SIGINT);
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("capturing on ns1:veth1, ns2:veth2"));
  CHECK_THAT(r.out, Catch::Matches("[\\s\\S]*\\n[0-9]+ packets captured\\n"));
  auto pcap = parse_pcapng(read_file(file));
  REQUIRE(pcap);
  REQUIRE(pcap->interfaces.size() == 2);
  CHECK(pcap->interfaces[0].name == "ns1:veth1");
  CHECK(pcap->interfaces[0].description == "ns1:veth1 (lab veth-pair, veth to ns2:veth2)");
  CHECK(pcap->interfaces[1].name == "ns2:veth2");
  CHECK_THAT(pcap->interfaces[1].description, Catch::StartsWith("ns2:veth2 (lab veth-pair"));
  CHECK(pcap->interfaces[0].linktype == 1);
  // The request leaves ns1 and arrives at ns2; the reply goes back.
  CHECK(has(*pcap, 0, 8, 2));
  CHECK(has(*pcap, 0, 0, 1));
  CHECK(has(*pcap, 1, 8, 1));
  CHECK(has(*pcap, 1, 0, 2));
  for (size_t i = 1; i < pcap->packets.size(); ++i)
    CHECK(pcap->packets[i - 1].ts <= pcap->packets[i].ts);
  CHECK(netlab("down " + topology("veth-pair.yaml")).rc == 0);
}

TEST_CASE("capture: one line per packet, -c stops, a BPF filter keeps out the rest", "[capture]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  Background lines = start_capture(topology("veth-pair.yaml") + " ns1:veth1 --filter icmp -c 2");
  CHECK(netlab("exec ns1 -- ping -c 3 -i 0.2 -W 1 10.0.1.2").rc == 0);
  Run r = finish(lines);
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::EndsWith("2 packets captured\n"));
  auto out = lines_of(read_file(lines.out));
  REQUIRE(out.size() == 2);
  CHECK(std::regex_match(
      out[0],
      std::regex(R"(\d\d:\d\d:\d\d\.\d{6} ns1:veth1 out ICMP 10\.0\.1\.1 > 10\.0\.1\.2 echo request id \d+ seq 1)")));
  CHECK(std::regex_match(
      out[1],
      std::regex(R"(\d\d:\d\d:\d\d\.\d{6} ns1:veth1 in  ICMP 10\.0\.1\.2 > 10\.0\.1\.1 echo reply id \d+ seq 1)")));

  const std::string file = write_temp("tcp.pcapng", "");
  Background tcp = start_capture("-l veth-pair ns1:* --filter tcp --duration 1.5 -w " + file);
  CHECK(netlab("exec ns1 -- ping -c 3 -i 0.2 -W 1 10.0.1.2").rc == 0);
  Run t = finish(tcp);
  CHECK(t.rc == 0);
  CHECK_THAT(t.out, Catch::Contains("0 packets captured"));
  auto pcap = parse_pcapng(read_file(file));
  REQUIRE(pcap);
  CHECK(pcap->interfaces.size() == 1);
  CHECK(pcap->packets.empty());

  Run bad = netlab("capture -l veth-pair ns1:veth1 --filter 'icmp and' -c 1");
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.out, Catch::Contains("--filter 'icmp and'"));
  CHECK(netlab("down " + topology("veth-pair.yaml")).rc == 0);
}

TEST_CASE("capture: DNAT seen as the rewritten destination on the two sides of the NAT node", "[capture][nat]") {
  REQUIRE(netlab("up " + topology("docker-style.yaml")).rc == 0);
  Background cap = start_capture("-l docker-style c2:eth0 c1:eth0 --filter 'tcp[tcpflags] & tcp-syn != 0'");
  // Its checks connect c2 to the published port 172.18.0.1:8080, which is c1:80.
  CHECK(netlab("test " + topology("docker-style.yaml")).rc == 0);
  Run r = finish(cap, SIGTERM);
  CHECK(r.rc == 0);
  const std::string out = read_file(cap.out);
  CHECK(std::regex_search(out, std::regex(R"(c2:eth0 out TCP 172\.18\.0\.3:\d+ > 172\.18\.0\.1:8080 \[S\])")));
  CHECK(std::regex_search(out, std::regex(R"(c1:eth0 in  TCP 172\.18\.0\.\d+:\d+ > 172\.18\.0\.2:80 \[S\])")));
  CHECK(netlab("down " + topology("docker-style.yaml")).rc == 0);
}

TEST_CASE("capture: unknown node or interface is exit 2 with a suggestion, a lab not up exit 1", "[capture]") {
  Run down = netlab("capture " + topology("veth-pair.yaml") + " ns1:veth1 -c 1");
  CHECK(down.rc == 1);
  CHECK_THAT(down.out, Catch::Contains("lab 'veth-pair' is not up"));
  Run no_lab = netlab("capture -l veth-pair ns1:veth1 -c 1");
  CHECK(no_lab.rc == 1);
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  Run node = netlab("capture -l veth-pair ns3:veth1 -c 1");
  CHECK(node.rc == 2);
  CHECK_THAT(node.out, Catch::Contains("lab 'veth-pair' has no node 'ns3' (did you mean 'ns1'?)"));
  Run iface = netlab("capture -l veth-pair ns2:veth1 -c 1");
  CHECK(iface.rc == 2);
  CHECK_THAT(iface.out, Catch::Contains("node 'ns2' has no interface 'veth1' (did you mean 'veth2'?)"));
  Run none = netlab("capture ns1:veth1");
  CHECK(none.rc == 2);
  CHECK_THAT(none.out, Catch::Contains("capture needs the lab"));
  CHECK(netlab("down " + topology("veth-pair.yaml")).rc == 0);
}

TEST_CASE("exec --all / --nodes / --parallel: prefixed lines, the worst exit code", "[capture][exec]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  const std::string cmd =
      "-- sh -c 'echo one $NETLAB_NODE; echo two $NETLAB_NODE >&2; [ $NETLAB_NODE = ns2 ] && exit 3; exit 0'";
  Run all = netlab("exec -l veth-pair --all " + cmd);
  CHECK(all.rc == 3);
  CHECK_THAT(all.out, Catch::Contains("ns1: one ns1\n"));
  CHECK_THAT(all.out, Catch::Contains("ns1: two ns1\n"));
  CHECK_THAT(all.out, Catch::Contains("ns2: one ns2\n"));
  CHECK(all.out.find("ns1: one") < all.out.find("ns2: one")); // one after the other, in file order
  Run par = netlab("exec -f " + topology("veth-pair.yaml") + " --all --parallel " + cmd);
  CHECK(par.rc == 3);
  CHECK_THAT(par.out, Catch::Contains("ns1: one ns1\n"));
  CHECK_THAT(par.out, Catch::Contains("ns2: two ns2\n"));
  Run some = netlab("exec --nodes ns1 " + cmd);
  CHECK(some.rc == 0);
  CHECK(some.out == "ns1: one ns1\nns1: two ns1\n");
  Run missing = netlab("exec --nodes ns1,ns2 -- no-such-command-here");
  CHECK(missing.rc == 127);
  CHECK_THAT(missing.out, Catch::Contains("ns2: netlab: cannot run 'no-such-command-here'"));
  Run all_no_lab = netlab("exec --all -- true");
  CHECK(all_no_lab.rc == 2);
  CHECK(netlab("down " + topology("veth-pair.yaml")).rc == 0);
}
