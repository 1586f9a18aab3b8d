// Probes, the check runner and `netlab exec`/`netlab test` against the real kernel.
// Each case runs in its own sandbox (see sandbox_main.cpp): two namespaces joined
// by a veth pair, built with `ip`; traffic only flows between them.
#include <netlab/check/listener.hpp>
#include <netlab/check/probe.hpp>
#include <netlab/check/run.hpp>
#include <netlab/check/sockaddr.hpp>
#include <netlab/util/netns.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace netlab;
using namespace std::chrono_literals;

namespace {

void sh(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
}

/// pa (10.77.0.1, fd77::1) <-veth-> pb (10.77.0.2, fd77::2)
void make_pair() {
  sh("ip netns add pa && ip netns add pb");
  sh("ip link add va netns pa type veth peer name vb netns pb");
  sh("ip -n pa addr add 10.77.0.1/24 dev va && ip -n pa addr add fd77::1/64 dev va nodad");
  sh("ip -n pb addr add 10.77.0.2/24 dev vb && ip -n pb addr add fd77::2/64 dev vb nodad");
  sh("ip -n pa link set lo up && ip -n pa link set va up");
  sh("ip -n pb link set lo up && ip -n pb link set vb up");
}

NsRef ns(const std::string& name);
IpAddr ip(const char* text);

/// A fresh veth may drop the first neighbour solicitation (ND retransmits after
/// 1 s); tests of something other than ping resolve the neighbours first.
void settle_neighbours() {
  REQUIRE(ping_from(ns("pa"), ip("fd77::2"), {3s, 3}).ok());
  REQUIRE(ping_from(ns("pa"), ip("10.77.0.2"), {3s, 3}).ok());
}

NsRef ns(const std::string& name) { return NsRef{name, NodeKind::netns, std::string(k_netns_dir) + "/" + name}; }
IpAddr ip(const char* text) { return *IpAddr::parse(text); }

struct CliRun {
  int rc = -1;
  std::string output; ///< stdout and stderr together
};

CliRun run_cli(const std::string& args) {
  std::string cmd = std::string(NETLAB_BINARY) + " " + args + " 2>&1";
  CliRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// Connects from inside `from` and reads what the server says first.
std::string read_greeting(const NsRef& from, const IpAddr& addr, uint16_t port) {
  std::string got;
  auto fd = open_netns(from);
  REQUIRE(fd);
  auto ran = run_in_netns(fd->get(), [&]() -> Expected<void> {
    UniqueFd s(::socket(af_of(addr.family), SOCK_STREAM | SOCK_CLOEXEC, 0));
    SockAddr sa = to_sockaddr(addr, port);
    if (::connect(s.get(), sa.get(), sa.len) != 0) return fail("connect: " + errno_text(errno));
    std::array<char, 128> buf;
    ssize_t n;
    while ((n = ::read(s.get(), buf.data(), buf.size())) > 0) got.append(buf.data(), static_cast<std::size_t>(n));
    return {};
  });
  REQUIRE(ran);
  return got;
}

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = "/run/netlab/" + name;
  std::ofstream(path) << text;
  return path;
}

} // namespace

TEST_CASE("ping between two namespaces over IPv4 and IPv6", "[probe]") {
  make_pair();
  auto v4 = ping_from(ns("pa"), ip("10.77.0.2"));
  INFO(v4.message);
  CHECK(v4.ok());
  REQUIRE(v4.rtt_ms);
  CHECK(*v4.rtt_ms < 2000.0);

  auto v6 = ping_from(ns("pb"), ip("fd77::1"));
  INFO(v6.message);
  CHECK(v6.ok());

  CHECK(ping_from(ns("pa"), ip("127.0.0.1")).ok()); // our own request is filtered, the reply is not
}

TEST_CASE("ping to an unused address fails within the timeout", "[probe]") {
  make_pair();
  for (const char* target : {"10.77.0.99", "fd77::99"}) {
    auto start = std::chrono::steady_clock::now();
    auto r = ping_from(ns("pa"), ip(target), {800ms, 3});
    auto took = std::chrono::steady_clock::now() - start;
    INFO(target << ": " << r.message);
    CHECK_FALSE(r.ok());
    CHECK((r.outcome == ProbeOutcome::timeout || r.outcome == ProbeOutcome::unreachable));
    CHECK(took < 1500ms);
  }
  auto none = ping_from(ns("pa"), ip("10.99.0.1"), {800ms, 3}); // no route at all
  CHECK(none.outcome == ProbeOutcome::unreachable);
  CHECK(none.message == "network unreachable");
}

TEST_CASE("a probe from a missing namespace is an error", "[probe]") {
  auto r = ping_from(ns("nosuch"), ip("10.77.0.2"), {200ms, 1});
  CHECK(r.outcome == ProbeOutcome::error);
  CHECK(r.message.find("nosuch") != std::string::npos);
}

TEST_CASE("TCP listener accepts and greets and records the peer", "[probe]") {
  make_pair();
  settle_neighbours();
  auto listener = TcpListener::start(ns("pb"), std::nullopt, 0, "hello from pb\n");
  REQUIRE(listener);
  uint16_t port = (*listener)->port();
  REQUIRE(port != 0);

  auto r = tcp_connect_from(ns("pa"), ip("10.77.0.2"), port, 1s);
  INFO(r.message);
  CHECK(r.ok());
  CHECK(r.rtt_ms.has_value());
  REQUIRE((*listener)->wait_for_peers(1, 2s));
  CHECK((*listener)->peers()[0].addr == ip("10.77.0.1"));

  CHECK(tcp_connect_from(ns("pa"), ip("fd77::2"), port, 1s).ok());
  REQUIRE((*listener)->wait_for_peers(2, 2s));
  CHECK((*listener)->peers()[1].addr == ip("fd77::1"));

  CHECK(read_greeting(ns("pa"), ip("10.77.0.2"), port) == "hello from pb\n");
}

TEST_CASE("a listener bound to one address ignores the others", "[probe]") {
  make_pair();
  auto listener = TcpListener::start(ns("pb"), ip("10.77.0.2"), 0);
  REQUIRE(listener);
  CHECK(tcp_connect_from(ns("pb"), ip("10.77.0.2"), (*listener)->port(), 1s).ok());
  CHECK(tcp_connect_from(ns("pb"), ip("127.0.0.1"), (*listener)->port(), 1s).outcome == ProbeOutcome::refused);
  // The port is taken now: a second listener on it says so.
  auto again = TcpListener::start(ns("pb"), ip("10.77.0.2"), (*listener)->port());
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("Address already in use") != std::string::npos);
}

TEST_CASE("TCP connect to a closed port is refused and to no route unreachable", "[probe]") {
  make_pair();
  settle_neighbours();
  auto refused = tcp_connect_from(ns("pa"), ip("10.77.0.2"), 9, 1s);
  CHECK(refused.outcome == ProbeOutcome::refused);
  CHECK(refused.message == "connection refused");
  auto v6 = tcp_connect_from(ns("pa"), ip("fd77::2"), 9, 1s);
  CHECK(v6.outcome == ProbeOutcome::refused);
  auto no_route = tcp_connect_from(ns("pa"), ip("10.99.0.1"), 80, 1s);
  CHECK(no_route.outcome == ProbeOutcome::unreachable);
  auto silent = tcp_connect_from(ns("pa"), ip("10.77.0.99"), 80, 500ms);
  CHECK_FALSE(silent.ok());
  CHECK((silent.outcome == ProbeOutcome::timeout || silent.outcome == ProbeOutcome::unreachable));
}

TEST_CASE("run_checks honours expect and starts listeners", "[probe]") {
  make_pair();
  Topology topo;
  topo.name = "pair";
  for (const char* name : {"pa", "pb"}) {
    Node node;
    node.name = name;
    topo.nodes.push_back(node);
  }
  auto check = [&](Check::Type type, const char* target, uint16_t port, bool expect_pass) {
    Check c;
    c.from = "pa";
    c.type = type;
    c.target = ip(target);
    c.port = port;
    c.expect_pass = expect_pass;
    c.timeout_s = 0.5;
    topo.checks.push_back(c);
  };
  check(Check::Type::ping, "10.77.0.2", 0, true);
  check(Check::Type::ping, "fd77::2", 0, true);
  topo.checks.back().timeout_s = 4.0; // a fresh link may lose ND solicitations (1 s retransmit), more so on a busy machine
  check(Check::Type::ping, "10.77.0.99", 0, false);
  check(Check::Type::tcp, "10.77.0.2", 8080, true);
  topo.checks.back().listen = "pb";
  check(Check::Type::tcp, "10.77.0.2", 8081, false); // nobody listens: refused, as expected
  check(Check::Type::tcp, "10.77.0.2", 8082, true);  // fails: nobody listens

  auto results = run_checks(topo);
  REQUIRE(results.size() == 6);
  for (std::size_t i = 0; i < 5; ++i) {
    INFO(results[i].label() << ": " << results[i].message);
    CHECK(results[i].passed);
  }
  CHECK_FALSE(results[5].passed);
  CHECK(results[5].message == "connection refused (expected pass)");
  CHECK(summarize(results).str() == "5 passed, 1 failed");
  // The listener of check 4 is gone again.
  CHECK(tcp_connect_from(ns("pb"), ip("10.77.0.2"), 8080, 1s).outcome == ProbeOutcome::refused);
}

TEST_CASE("netlab exec runs in the namespace and passes the exit code through", "[probe]") {
  make_pair();
  auto addr = run_cli("exec pa -- ip addr");
  CHECK(addr.rc == 0);
  CHECK(addr.output.find("10.77.0.1/24") != std::string::npos);
  CHECK(addr.output.find("10.77.0.2") == std::string::npos);

  CHECK(run_cli("exec pa -- sh -c 'exit 7'").rc == 7);
  CHECK(run_cli("exec pb -- true").rc == 0);

  auto env = run_cli("exec pb -- sh -c 'echo node=$NETLAB_NODE'");
  CHECK(env.output == "node=pb\n");

  auto sys = run_cli("exec pb -- ls /sys/class/net"); // a fresh sysfs, like ip netns exec
  CHECK(sys.output.find("vb") != std::string::npos);
  CHECK(sys.output.find("va") == std::string::npos);

  auto missing = run_cli("exec nosuch -- true");
  CHECK(missing.rc == 1);
  CHECK(missing.output.find("no namespace 'nosuch'") != std::string::npos);

  auto no_cmd = run_cli("exec pa -- /nonexistent/cmd");
  CHECK(no_cmd.rc == 127);
}

TEST_CASE("netlab exec -f resolves nodes through the topology", "[probe]") {
  make_pair();
  std::string file = write_file("pair.yaml", R"(name: pair
nodes:
  host: {kind: host}
  pa:
  pb:
)");
  auto host = run_cli("exec -f " + file + " host -- sh -c 'echo $NETLAB_LAB/$NETLAB_NODE; ip -o link'");
  INFO(host.output);
  CHECK(host.rc == 0);
  CHECK(host.output.starts_with("pair/host\n"));
  CHECK(host.output.find("va") == std::string::npos);

  auto pa = run_cli("exec -f " + file + " pa -- ip -o addr");
  CHECK(pa.output.find("10.77.0.1/24") != std::string::npos);

  auto unknown = run_cli("exec -f " + file + " pc -- true");
  CHECK(unknown.rc == 1);
  CHECK(unknown.output.find("no node 'pc'") != std::string::npos);
}

TEST_CASE("netlab test prints check lines and a summary and writes JSON and JUnit", "[probe]") {
  make_pair();
  std::string file = write_file("checks.yaml", R"(name: pair
nodes:
  pa:
  pb:
checks:
  - {from: pa, ping: 10.77.0.2}
  - {from: pa, ping: 10.77.0.99, expect: fail, timeout: 500ms}
  - {from: pa, tcp: "10.77.0.2:8080", listen: pb}
  - {from: pb, tcp: "10.77.0.1:22", timeout: 1}
)");
  auto text = run_cli("test " + file + " --junit /run/netlab/report.xml");
  INFO(text.output);
  CHECK(text.rc == 3);
  CHECK(text.output.find("PASS pa ping 10.77.0.2 (") != std::string::npos);
  CHECK(text.output.find("PASS pa ping 10.77.0.99: ") != std::string::npos);
  CHECK(text.output.find("PASS pa tcp 10.77.0.2:8080 (") != std::string::npos);
  CHECK(text.output.find("FAIL pb tcp 10.77.0.1:22: connection refused (expected pass)\n") != std::string::npos);
  CHECK(text.output.ends_with("\n3 passed, 1 failed\n"));

  std::ifstream in("/run/netlab/report.xml");
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(xml.find("<testsuite name=\"pair\" tests=\"4\" failures=\"1\"") != std::string::npos);

  auto json = run_cli("--json test " + file);
  CHECK(json.rc == 3);
  auto j = nlohmann::json::parse(json.output);
  CHECK(j["passed"] == 3);
  CHECK(j["checks"].size() == 4);

  std::string good = write_file("good.yaml", "name: pair\nnodes: {pa: , pb: }\nchecks:\n  - {from: pb, ping: fd77::1}\n");
  auto pass = run_cli("test " + good);
  CHECK(pass.rc == 0);
  CHECK(pass.output.ends_with("1 passed, 0 failed\n"));

  std::string bad = write_file("bad.yaml", "name: pair\nnodes: {pa: }\nchecks:\n  - {from: pz, ping: 1.2.3.4}\n");
  CHECK(run_cli("test " + bad).rc == 2);
}
