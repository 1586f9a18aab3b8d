// Link impairment end to end, inside the per-test sandbox: netlab's qdiscs are
// created, read back, changed in place, drifted by hand, removed. `rate` is
// proven by a timed TCP transfer between two namespaces; netem by a measured
// round trip and loss where the kernel has netem, and elsewhere by the refusal
// that leaves the kernel unchanged.
#include "cli.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <regex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace nltest;
namespace nl = ::netlab;

namespace {

using Clock = std::chrono::steady_clock;

/// nltest::netlab(): the name alone would also mean namespace ::netlab here.
Run cli(const std::string& args) {
  return nltest::netlab(args);
}
using Lines = std::vector<std::string>;

constexpr size_t k_transfer_bytes = 1'500'000;

/// a:x (10.0.0.1) <-> b:y (10.0.0.2), the link impaired by `impair` unless empty,
/// and an unshaped a:x2 (10.0.1.1) <-> b:y2 (10.0.1.2).
std::string two_links(const std::string& impair) {
  std::string out = R"(name: imp
nodes:
  a:
    interfaces:
      x: {addresses: [10.0.0.1/24]}
      x2: {addresses: [10.0.1.1/24]}
  b:
    interfaces:
      y: {addresses: [10.0.0.2/24]}
      y2: {addresses: [10.0.1.2/24]}
links:
  - [a:x2, b:y2]
)";
  if (impair.empty()) return out + "  - [a:x, b:y]\n";
  return out + "  - endpoints: [a:x, b:y]\n    impair: " + impair + "\n";
}

nl::NsRef node(const std::string& name) {
  return {name, nl::NodeKind::netns, "/run/netns/" + name};
}

/// A socket made by a thread inside namespace `ns`; it stays there.
int socket_in(const std::string& ns, int type) {
  auto fd = nl::open_netns(node(ns));
  REQUIRE(fd);
  int s = -1;
  auto made = nl::run_in_netns(fd->get(), [&]() -> nl::Expected<void> {
    s = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    return {};
  });
  REQUIRE(made);
  REQUIRE(s >= 0);
  timeval timeout{10, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  return s;
}

sockaddr_in address(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

/// A listening TCP socket in `ns` on ip:port.
int listener(const std::string& ns, const std::string& ip, uint16_t port) {
  int s = socket_in(ns, SOCK_STREAM);
  sockaddr_in a = address(ip, port);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(s, 8) == 0);
  return s;
}

/// Megabit/s of one TCP transfer of `bytes` from namespace `from` to ip in namespace `to`,
/// timed by the receiver from the accepted connection to the sender's end of stream.
double tcp_mbit(const std::string& from, const std::string& to, const std::string& ip, size_t bytes) {
  int server = listener(to, ip, 5201);
  size_t received = 0;
  double seconds = 0;
  std::thread receiver([&] {
    int conn = ::accept(server, nullptr, nullptr);
    if (conn < 0) return;
    timeval timeout{10, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    auto start = Clock::now();
    std::vector<char> buf(1 << 16);
    for (ssize_t n; (n = ::read(conn, buf.data(), buf.size())) > 0;)
      received += static_cast<size_t>(n);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(conn);
  });
  int client = socket_in(from, SOCK_STREAM);
  sockaddr_in a = address(ip, 5201);
  bool connected = ::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  std::vector<char> data(bytes, 'x');
  for (size_t sent = 0; connected && sent < bytes;) {
    ssize_t n = ::write(client, data.data() + sent, bytes - sent);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(client, SHUT_WR);
  receiver.join();
  ::close(client);
  ::close(server);
  REQUIRE(connected);
  REQUIRE(received == bytes);
  double mbit = static_cast<double>(bytes) * 8 / seconds / 1e6;
  UNSCOPED_INFO(from << " -> " << to << ": " << bytes << " bytes in " << seconds << " s = " << mbit << " mbit/s");
  return mbit;
}

/// Median milliseconds of `tries` TCP handshakes from `from` to ip:port (a listener in `to`): one round trip each.
double connect_ms(const std::string& from, const std::string& to, const std::string& ip, int tries = 5) {
  int server = listener(to, ip, 5202);
  std::vector<double> ms;
  for (int i = 0; i < tries; ++i) {
    int client = socket_in(from, SOCK_STREAM);
    sockaddr_in a = address(ip, 5202);
    auto start = Clock::now();
    bool ok = ::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (ok) ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ::close(client);
    if (int conn = ::accept(server, nullptr, nullptr); conn >= 0) ::close(conn);
  }
  ::close(server);
  REQUIRE(!ms.empty());
  std::ranges::sort(ms);
  UNSCOPED_INFO(from << " -> " << ip << " handshake: median " << ms[ms.size() / 2] << " ms");
  return ms[ms.size() / 2];
}

/// How many of `count` UDP datagrams sent from `from` reach ip in `to`.
int udp_delivered(const std::string& from, const std::string& to, const std::string& ip, int count) {
  int rx = socket_in(to, SOCK_DGRAM);
  sockaddr_in a = address(ip, 5203);
  REQUIRE(::bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval quiet{0, 500'000};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
  int got = 0;
  // Read while sending: a socket buffer holds only a few hundred datagrams.
  std::thread receiver([&] {
    for (char c; ::recv(rx, &c, 1, 0) == 1;)
      ++got;
  });
  int tx = socket_in(from, SOCK_DGRAM);
  for (int i = 0; i < count; ++i) {
    ::sendto(tx, "p", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    if (i % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(1)); // never overflow a queue
  }
  receiver.join();
  ::close(tx);
  ::close(rx);
  UNSCOPED_INFO(got << " of " << count << " datagrams delivered");
  return got;
}

int ifindex_of(const std::string& ns, const std::string& link) {
  Run r = sh("ip -n " + ns + " -o link show " + link);
  REQUIRE(r.rc == 0);
  return std::atoi(r.out.c_str());
}

/// netem exists in this kernel: a throwaway namespace takes one on its lo.
bool kernel_has_netem() {
  return sh("unshare -n tc qdisc add dev lo root netem delay 1ms").rc == 0;
}

/// status's non-ok lines, spaces collapsed, sorted.
Lines drift_of(const std::string& out) {
  Lines drift;
  for (const auto& l : lines_of(out))
    if (!l.starts_with("ok ") && !l.starts_with("lab ")) drift.push_back(std::regex_replace(l, std::regex(" +"), " "));
  std::ranges::sort(drift);
  return drift;
}

Lines sorted_changes(const std::string& out) {
  Lines c = changes(out);
  std::ranges::sort(c);
  return c;
}

} // namespace

TEST_CASE("lab impair: lifecycle", "[impair][lab]") {
  lifecycle("impair.yaml");
}

TEST_CASE("impair rate: a timed TCP transfer runs at the rate, a new rate applies in place", "[impair]") {
  const std::string file = write_temp("rate.yaml", two_links(""));
  REQUIRE(cli("up " + file).rc == 0);
  const int index = ifindex_of("a", "x");
  const double unshaped = tcp_mbit("a", "b", "10.0.0.2", k_transfer_bytes);

  std::ofstream(file) << two_links("{rate: 16mbit}");
  Run up = cli("up " + file);
  REQUIRE(up.rc == 0);
  CHECK(changes(up.out) == Lines{"~ a:x impair rate 16mbit", "~ b:y impair rate 16mbit"});
  CHECK_THAT(sh("tc -n a qdisc show dev x").out,
             Catch::Contains("qdisc tbf 1: root") && Catch::Contains("rate 16Mbit"));
  CHECK(cli("status " + file).rc == 0);
  const double shaped = tcp_mbit("a", "b", "10.0.0.2", k_transfer_bytes);
  CHECK(shaped > 0.7 * 16);
  CHECK(shaped < 1.05 * 16);
  CHECK(unshaped > 10 * shaped);
  CHECK(tcp_mbit("a", "b", "10.0.1.2", k_transfer_bytes) > 10 * shaped); // the other link runs free

  std::ofstream(file) << two_links("{rate: 8mbit}");
  up = cli("up " + file);
  REQUIRE(up.rc == 0);
  CHECK(changes(up.out) ==
        Lines{"~ a:x impair rate 8mbit (was rate 16mbit)", "~ b:y impair rate 8mbit (was rate 16mbit)"});
  CHECK(ifindex_of("a", "x") == index); // replaced in place: the link was never recreated
  const double slower = tcp_mbit("a", "b", "10.0.0.2", k_transfer_bytes);
  CHECK(slower > 0.7 * 8);
  CHECK(slower < 1.05 * 8);
  CHECK(changes(cli("up " + file).out).empty());

  REQUIRE(cli("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("impair drift by hand: status names it, up repairs only it, dropped impair goes", "[impair][drift]") {
  const std::string file = write_temp("drift.yaml", two_links("{rate: 10mbit}"));
  REQUIRE(cli("up " + file).rc == 0);
  REQUIRE(sh("tc -n a qdisc del dev x root").rc == 0);
  REQUIRE(sh("tc -n b qdisc replace dev y root handle 1: tbf rate 5mbit burst 5000 limit 70000").rc == 0);
  // A qdisc by hand on a link the lab never shaped is the owner's business.
  REQUIRE(sh("tc -n a qdisc add dev x2 root handle 9: tbf rate 1mbit burst 3000 limit 30000").rc == 0);

  Run status = cli("status " + file);
  CHECK(status.rc == 3);
  CHECK(drift_of(status.out) ==
        Lines{"different b/y/impair: want rate 10mbit, have rate 5mbit", "missing a/x/impair: want rate 10mbit"});
  Run repair = cli("up " + file);
  REQUIRE(repair.rc == 0);
  CHECK(sorted_changes(repair.out) == Lines{"~ a:x impair rate 10mbit", "~ b:y impair rate 10mbit (was rate 5mbit)"});
  CHECK(cli("status " + file).rc == 0);
  CHECK_THAT(sh("tc -n a qdisc show dev x2").out, Catch::Contains("qdisc tbf 9: root"));

  std::ofstream(file) << two_links("");
  Run plain = cli("up " + file);
  REQUIRE(plain.rc == 0);
  CHECK(sorted_changes(plain.out) == Lines{"- a:x impair rate 10mbit", "- b:y impair rate 10mbit"});
  CHECK_THAT(sh("tc -n a qdisc show dev x").out, Catch::StartsWith("qdisc noqueue 0: root"));
  CHECK_THAT(sh("tc -n a qdisc show dev x2").out, Catch::Contains("qdisc tbf 9: root"));
  CHECK_THAT(read_file("/run/netlab/imp/state.json"), Catch::Contains("\"impaired_links\": {}"));
  CHECK(cli("status " + file).rc == 0);
  CHECK(changes(cli("up " + file).out).empty());

  REQUIRE(cli("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("plan --explain shows the tc command of each impairment", "[impair]") {
  const std::string file = write_temp("explain.yaml", two_links("{rate: 10mbit}"));
  Run plan = cli("plan --explain " + file);
  CHECK(plan.rc == 0);
  CHECK_THAT(plan.out, Catch::Contains("~ a:x impair rate 10mbit\n"
                                       "    $ tc -n a qdisc replace dev x root handle 1: tbf rate 10mbit burst 3028 "
                                       "limit 65528"));
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("the netlink kernel reads netlab's qdiscs back and replaces a foreign root", "[impair][kernel]") {
  const std::string file = write_temp("kernel.yaml", two_links("{rate: 10mbit}"));
  REQUIRE(cli("up " + file).rc == 0);
  auto k = nl::make_netlink_kernel();
  auto look = [&](bool qdiscs) {
    nl::ObserveRequest what;
    what.qdiscs = qdiscs;
    auto seen = k->observe(node("a"), what);
    REQUIRE(seen);
    const nl::ObservedLink* x = seen->find_link("x");
    REQUIRE(x);
    return *x;
  };
  nl::Impairment ten;
  ten.rate_bps = 10'000'000;
  CHECK(look(true).impair == ten);
  CHECK(look(true).qdisc == "tbf");
  CHECK_FALSE(look(false).impair); // not asked for, not read
  CHECK(look(false).qdisc.empty());

  // Another kind under netlab's handle: the kernel will not change a kind in place.
  REQUIRE(sh("tc -n a qdisc del dev x root && tc -n a qdisc add dev x root handle 1: htb").rc == 0);
  CHECK(look(true).qdisc == "htb");
  CHECK_FALSE(look(true).impair);
  nl::Impairment two;
  two.rate_bps = 2'000'000;
  auto set = k->apply(nl::SetImpair{node("a"), "x", two, std::nullopt, 1500});
  INFO((set ? std::string() : set.error().message));
  REQUIRE(set);
  CHECK(look(true).impair == two);
  REQUIRE(k->apply(nl::SetImpair{node("a"), "x", std::nullopt, two, 1500}));
  CHECK(look(true).qdisc.empty());
  REQUIRE(k->apply(nl::SetImpair{node("a"), "x", std::nullopt, std::nullopt, 1500})); // nothing left to delete

  auto missing = k->unsupported_qdiscs({"tbf", "netem"});
  auto reported = [&](const std::string& kind) {
    return std::ranges::any_of(missing, [&](const auto& m) { return m.first == kind; });
  };
  CHECK(reported("netem") == !kernel_has_netem());
  CHECK(reported("tbf") == (sh("unshare -n tc qdisc add dev lo root tbf rate 1mbit burst 3000 limit 3000").rc != 0));
  for (const auto& [kind, option] : missing)
    CHECK(option == (kind == "netem" ? "CONFIG_NET_SCH_NETEM" : "CONFIG_NET_SCH_TBF"));

  REQUIRE(cli("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("netem: refused whole where the kernel lacks it, measured where it has it", "[impair][netem]") {
  // a:x <-> b:y delayed both ways, a:x2 losing a fifth of what it sends, a:x3 <-> b:y3 shaped and delayed.
  std::string text = two_links("{delay: 20ms}");
  text = std::regex_replace(text, std::regex("      x2: \\{addresses: \\[10.0.1.1/24\\]\\}"),
                            "      x2: {addresses: [10.0.1.1/24], impair: {loss: 20%}}\n"
                            "      x3: {addresses: [10.0.2.1/24]}");
  text = std::regex_replace(text, std::regex("      y2: \\{addresses: \\[10.0.1.2/24\\]\\}"),
                            "      y2: {addresses: [10.0.1.2/24]}\n      y3: {addresses: [10.0.2.2/24]}");
  text += "  - endpoints: [a:x3, b:y3]\n    impair: {rate: 8mbit, delay: 5ms}\n";
  const std::string file = write_temp("netem.yaml", text);

  if (!kernel_has_netem()) {
    Run up = cli("up " + file);
    CHECK(up.rc == 1);
    const std::string lack = " the netem qdisc (CONFIG_NET_SCH_NETEM), which this kernel lacks; nothing was changed";
    CHECK_THAT(up.out, Catch::Contains("a:x impair delay needs" + lack));
    CHECK_THAT(up.out, Catch::Contains("b:y impair delay needs" + lack));
    CHECK_THAT(up.out, Catch::Contains("a:x2 impair loss needs" + lack));
    CHECK_THAT(up.out, Catch::Contains("a:x3 impair delay needs" + lack));
    CHECK(cli("plan " + file).rc == 1);
    require_nothing_left(); // not even the links that need no netem
    fs::remove(file);
    skip("this kernel lacks CONFIG_NET_SCH_NETEM: checked the refusal only; netem is measured where the kernel has it");
    return;
  }

  Run up = cli("up " + file);
  REQUIRE(up.rc == 0);
  CHECK_THAT(sh("tc -n a qdisc show dev x3").out,
             Catch::Contains("qdisc netem 2: root") && Catch::Contains("qdisc tbf 3: parent 2:1"));
  CHECK(cli("status " + file).rc == 0);
  CHECK(changes(cli("up " + file).out).empty());
  const double rtt = connect_ms("a", "b", "10.0.0.2");
  CHECK(rtt >= 38);
  CHECK(rtt < 200);
  const int delivered = udp_delivered("a", "b", "10.0.1.2", 2000);
  CHECK(delivered > 1400);
  CHECK(delivered < 1800);
  const double shaped = tcp_mbit("a", "b", "10.0.2.2", 1'000'000);
  CHECK(shaped > 0.6 * 8);
  CHECK(shaped < 1.05 * 8);

  const int index = ifindex_of("a", "x");
  std::ofstream(file) << std::regex_replace(text, std::regex("\\{delay: 20ms\\}"), "{delay: 40ms}");
  Run change = cli("up " + file);
  REQUIRE(change.rc == 0);
  CHECK(sorted_changes(change.out) ==
        Lines{"~ a:x impair delay 40ms (was delay 20ms)", "~ b:y impair delay 40ms (was delay 20ms)"});
  CHECK(ifindex_of("a", "x") == index);
  CHECK(connect_ms("a", "b", "10.0.0.2") >= 78);

  REQUIRE(sh("tc -n a qdisc del dev x3 parent 2:1 handle 3:").rc == 0);
  Run status = cli("status " + file);
  CHECK(status.rc == 3);
  CHECK(drift_of(status.out) == Lines{"different a/x3/impair: want rate 8mbit delay 5ms, have delay 5ms"});
  CHECK(sorted_changes(cli("up " + file).out) == Lines{"~ a:x3 impair rate 8mbit delay 5ms (was delay 5ms)"});
  CHECK(cli("status " + file).rc == 0);

  REQUIRE(cli("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}
