// NAT against the real kernel, inside the per-test sandbox. Topology:
//
//   in1 (10.0.1.2) --veth-- [sandbox "host", forwarding] --veth up0 (192.0.2.1)-- lan (192.0.2.2)
//
// lan has no route back to 10.0.1.0/24, so a connection from in1 reaches a
// listener in lan only when the host translates its source. Namespaces are
// built with `ip` (tests may; netlab never does); the NAT table is always
// written through netlab's functions from inside the namespace (run_in_netns).
#include <catch2/catch.hpp>
#include <netlab/kernel/nft.hpp>
#include <netlab/kernel/nft_preflight.hpp>
#include <netlab/util/netns.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>

using namespace netlab;

namespace {

const std::string k_table = nat_table_name("x");

void sh(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system((cmd + " >/dev/null 2>&1").c_str()) == 0);
}

std::string sh_out(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen((cmd + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

void write_proc(const char* path, const char* value) {
  std::ofstream f(path);
  f << value;
  REQUIRE(f.good());
}

/// Runs fn inside the namespace `ns` ("" = the sandbox's own, the lab's host node).
Expected<void> in_ns(const std::string& ns, const std::function<Expected<void>()>& fn) {
  NsRef ref = ns.empty() ? NsRef{"host", NodeKind::host, {}} : NsRef{ns, NodeKind::netns, "/run/netns/" + ns};
  auto fd = open_netns(ref);
  if (!fd) return std::unexpected(fd.error());
  return run_in_netns(fd->get(), fn);
}

void require_ok(const Expected<void>& r) {
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.has_value());
}

void replace(const std::string& ns, const std::vector<NatRule>& rules) {
  require_ok(in_ns(ns, [&] { return nft_replace_table(k_table, rules); }));
}

std::optional<std::string> read(const std::string& ns) {
  std::optional<std::string> got;
  require_ok(in_ns(ns, [&]() -> Expected<void> {
    auto r = nft_read_table(k_table);
    if (!r) return std::unexpected(r.error());
    got = *r;
    return {};
  }));
  return got;
}

void build_lab() {
  sh("ip netns add in1");
  sh("ip netns add lan");
  sh("ip link add h-in1 type veth peer name eth0 netns in1");
  sh("ip addr add 10.0.1.1/24 dev h-in1");
  sh("ip link set h-in1 up");
  sh("ip -n in1 addr add 10.0.1.2/24 dev eth0");
  sh("ip -n in1 link set eth0 up");
  sh("ip -n in1 link set lo up");
  sh("ip -n in1 route add default via 10.0.1.1");
  sh("ip link add up0 type veth peer name eth0 netns lan");
  sh("ip addr add 192.0.2.1/24 dev up0");
  sh("ip link set up0 up");
  sh("ip -n lan addr add 192.0.2.2/24 dev eth0");
  sh("ip -n lan link set eth0 up");
  sh("ip -n lan link set lo up");
  write_proc("/proc/sys/net/ipv4/ip_forward", "1");
}

/// Every test ends here: no netlab table anywhere, namespaces gone.
void teardown_lab() {
  for (std::string ns : {"", "in1", "lan"}) {
    replace(ns, {});
    CHECK_FALSE(read(ns).has_value());
  }
  CHECK(sh_out("nft list tables").find("netlab-") == std::string::npos);
  // Deleting a namespace frees its veths asynchronously; delete our ends now so
  // a SECTION re-run can make them again at once.
  sh("ip link del h-in1");
  sh("ip link del up0");
  sh("ip netns del in1");
  sh("ip netns del lan");
}

sockaddr_in v4(const std::string& addr, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, addr.c_str(), &sa.sin_addr) == 1);
  return sa;
}

/// A TCP listener on 0.0.0.0:port whose socket lives in namespace `ns`.
UniqueFd listen_in(const std::string& ns, uint16_t port) {
  UniqueFd fd;
  require_ok(in_ns(ns, [&]() -> Expected<void> {
    fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd.get(), 8) != 0)
      return fail("listen: " + errno_text(errno));
    return {};
  }));
  return fd;
}

/// One bounded connect attempt from namespace `ns`; true when the handshake completed.
bool connect_once(const std::string& ns, const std::string& addr, uint16_t port, int timeout_ms) {
  bool ok = false;
  require_ok(in_ns(ns, [&]() -> Expected<void> {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in sa = v4(addr, port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return ok = true, Expected<void>{};
    if (errno != EINPROGRESS) return {};
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return {};
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    ok = err == 0;
    return {};
  }));
  return ok;
}

/// Connects (a few bounded tries while links settle); true on success.
bool connect_from(const std::string& ns, const std::string& addr, uint16_t port) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (connect_once(ns, addr, port, 1000)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

/// The source address of the next connection the listener accepts (bounded wait), "" if none.
std::string accepted_peer(const UniqueFd& listener) {
  pollfd p{listener.get(), POLLIN, 0};
  if (::poll(&p, 1, 2000) != 1) return "";
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  UniqueFd conn(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return "";
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &peer.sin_addr, buf, sizeof buf);
  return buf;
}

NatRule masquerade_rule() {
  NatRule r;
  r.type = NatRule::Type::masquerade;
  r.source = Cidr::parse("10.0.1.0/24");
  r.out = "up0";
  return r;
}

NatRule snat_rule(const std::string& to) {
  NatRule r = masquerade_rule();
  r.type = NatRule::Type::snat;
  r.to_addr = IpAddr::parse(to);
  return r;
}

NatRule dnat_rule(uint16_t first, uint16_t last, const std::string& to, std::optional<uint16_t> to_port,
                  std::optional<std::string> in = "up0") {
  NatRule r;
  r.type = NatRule::Type::dnat;
  r.protocol = "tcp";
  r.port_first = first;
  r.port_last = last;
  r.to_addr = IpAddr::parse(to);
  r.to_port = to_port;
  r.in = std::move(in);
  return r;
}

/// One of each shape the format allows, IPv4 and IPv6.
std::vector<NatRule> every_rule_shape() {
  NatRule bare;
  NatRule v6 = masquerade_rule();
  v6.source = Cidr::parse("fd00:1::7/64");
  v6.out.reset();
  NatRule udp = dnat_rule(5000, 5003, "10.0.1.2", 6000, {});
  udp.protocol = "udp";
  return {masquerade_rule(),
          bare,
          snat_rule("192.0.2.100"),
          v6,
          dnat_rule(8080, 8080, "10.0.1.2", 80),
          dnat_rule(9000, 9002, "10.0.1.2", {}),
          udp,
          dnat_rule(443, 443, "fd00:1::2", 8443, {})};
}

} // namespace

TEST_CASE("masquerade rewrites the source of forwarded connections", "[nat]") {
  build_lab();
  UniqueFd listener = listen_in("lan", 5000);
  // Without NAT lan cannot answer 10.0.1.2: the connection must fail.
  CHECK_FALSE(connect_once("in1", "192.0.2.2", 5000, 1000));
  replace("", {masquerade_rule()});
  REQUIRE(connect_from("in1", "192.0.2.2", 5000));
  // The failed attempt's SYN may be queued first; look for the translated one.
  std::string peer = accepted_peer(listener);
  if (peer != "192.0.2.1") peer = accepted_peer(listener);
  CHECK(peer == "192.0.2.1");
  teardown_lab();
}

TEST_CASE("snat rewrites the source to the given address", "[nat]") {
  build_lab();
  sh("ip -n lan route add 192.0.2.100/32 via 192.0.2.1");
  UniqueFd listener = listen_in("lan", 5001);
  replace("", {snat_rule("192.0.2.100")});
  REQUIRE(connect_from("in1", "192.0.2.2", 5001));
  CHECK(accepted_peer(listener) == "192.0.2.100");
  teardown_lab();
}

TEST_CASE("dnat forwards a port of the uplink address to the inner namespace", "[nat]") {
  build_lab();
  UniqueFd web = listen_in("in1", 80);
  CHECK_FALSE(connect_once("lan", "192.0.2.1", 8080, 500));
  replace("", {dnat_rule(8080, 8080, "10.0.1.2", 80)});
  REQUIRE(connect_from("lan", "192.0.2.1", 8080));
  CHECK(accepted_peer(web) == "192.0.2.2");

  SECTION("connections from the node itself are forwarded too (output chain)") {
    REQUIRE(connect_from("", "192.0.2.1", 8080));
    CHECK(accepted_peer(web) == "192.0.2.1");
  }
  SECTION("a shifted port range keeps each port's offset") {
    UniqueFd p7001 = listen_in("in1", 7001);
    replace("", {dnat_rule(9000, 9002, "10.0.1.2", 7000)});
    REQUIRE(connect_from("lan", "192.0.2.1", 9001));
    CHECK(accepted_peer(p7001) == "192.0.2.2");
  }
  teardown_lab();
}

TEST_CASE("the table reads back in canonical form and hand edits show as drift", "[nat]") {
  build_lab();
  auto rules = every_rule_shape();
  const std::string want = nat_canonical(k_table, rules);
  replace("", rules);
  REQUIRE(read("") == want);

  // Replacing again is a no-op as far as the canonical form goes.
  replace("", rules);
  CHECK(read("") == want);

  sh("nft flush table inet " + k_table);
  auto flushed = read("");
  REQUIRE(flushed.has_value());
  CHECK(*flushed != want);

  replace("", rules);
  sh("nft add rule inet " + k_table + " postrouting counter");
  CHECK(read("") != want);

  // Undo puts back exactly what was read, drift included.
  auto edited = read("");
  replace("", {masquerade_rule()});
  require_ok(in_ns("", [&] { return nft_restore_table(k_table, edited); }));
  CHECK(read("") == edited);
  require_ok(in_ns("", [&] { return nft_restore_table(k_table, std::nullopt); }));
  CHECK_FALSE(read("").has_value());
  teardown_lab();
}

TEST_CASE("foreign tables survive replace and delete", "[nat]") {
  build_lab();
  sh("nft add table ip filter");
  sh("nft 'add chain ip filter FORWARD { type filter hook forward priority 0; policy accept; }'");
  sh("nft add rule ip filter FORWARD iifname up0 counter accept");
  sh("nft add table inet netlab-other");
  const std::string before = sh_out("nft list table ip filter") + sh_out("nft list table inet netlab-other");

  replace("", {masquerade_rule()});
  replace("", {masquerade_rule(), dnat_rule(8080, 8080, "10.0.1.2", 80)});
  replace("", {});
  replace("", {}); // deleting a missing table is fine
  CHECK(sh_out("nft list table ip filter") + sh_out("nft list table inet netlab-other") == before);
  CHECK(sh_out("nft list tables").find(k_table) == std::string::npos);
  sh("nft delete table ip filter");
  sh("nft delete table inet netlab-other");
  teardown_lab();
}

TEST_CASE("a context made after setns talks to that namespace", "[nat]") {
  build_lab();
  replace("in1", {masquerade_rule()});
  CHECK(read("in1") == nat_canonical(k_table, {masquerade_rule()}));
  CHECK_FALSE(read("").has_value());
  CHECK_FALSE(read("lan").has_value());
  CHECK(sh_out("ip netns exec in1 nft list tables").find(k_table) != std::string::npos);
  CHECK(sh_out("nft list tables").find(k_table) == std::string::npos);
  teardown_lab();
}

TEST_CASE("nft's own error text comes back as an Error", "[nat]") {
  build_lab();
  const std::string too_long(300, 'n');
  auto r = in_ns("", [&] { return nft_replace_table(too_long, {masquerade_rule()}); });
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("nft: Error:") != std::string::npos);
  CHECK(r.error().message.find("internal:0:0") == std::string::npos);
  auto bad = in_ns("", [&] { return nft_restore_table(k_table, std::string(R"([{"table":{"family":"ip","name":"filter"}}])")); });
  CHECK_FALSE(bad.has_value());
  teardown_lab();
}

TEST_CASE("preflight warns about what silently defeats NAT here", "[nat]") {
  build_lab();
  Node host;
  host.name = "host";
  host.nat = {masquerade_rule()};
  auto warnings = [&] {
    std::vector<std::string> w;
    require_ok(in_ns("", [&]() -> Expected<void> {
      w = nat_preflight_warnings(host);
      return {};
    }));
    return w;
  };
  CHECK(warnings().empty());

  write_proc("/proc/sys/net/ipv4/ip_forward", "0");
  auto w = warnings();
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("net.ipv4.ip_forward") != std::string::npos);
  write_proc("/proc/sys/net/ipv4/ip_forward", "1");

  sh("nft add table ip filter");
  sh("nft 'add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }'");
  w = warnings();
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("ip filter FORWARD") != std::string::npos);
  CHECK(sh_out("nft list chain ip filter FORWARD").find("policy drop") != std::string::npos);
  sh("nft delete table ip filter");

  // The namespace's own value, read from a thread inside it.
  sh("ip netns exec lan sh -c 'echo 0 > /proc/sys/net/ipv4/ip_forward'");
  NatHostFacts lan_facts;
  require_ok(in_ns("lan", [&]() -> Expected<void> {
    lan_facts = read_nat_host_facts();
    return {};
  }));
  CHECK(lan_facts.ip_forward == false);
  teardown_lab();
}
