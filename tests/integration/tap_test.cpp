// End-to-end: tun and tap devices made by netlab, fed from user space by the
// test itself, the way a VM monitor or a VPN daemon uses them. The test enters
// the lab's namespace, attaches to the persistent device through /dev/net/tun
// (TUNSETIFF with the device's name) and exchanges real frames with the other
// lab namespaces: it both writes requests and reads the kernel's replies, and
// answers the kernel's own requests (ARP, `netlab test` pings). Each case runs
// in its own sandbox (sandbox_main.cpp).
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <grp.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <thread>

using namespace nltest;

namespace {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

// ---- frames and packets -------------------------------------------------------

constexpr uint16_t k_ethertype_ipv4 = 0x0800;
constexpr uint16_t k_ethertype_arp = 0x0806;
constexpr size_t k_eth_len = 14;
constexpr Mac k_broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac k_user_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}; ///< the host the test plays behind the tap

uint32_t ip4(const char* text) {
  in_addr a{};
  REQUIRE(inet_pton(AF_INET, text, &a) == 1);
  return ntohl(a.s_addr);
}

uint16_t get16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t get32(const Bytes& b, size_t at) {
  return uint32_t{get16(b, at)} << 16 | get16(b, at + 2);
}
void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
Mac mac_at(const Bytes& b, size_t at) {
  Mac m{};
  std::copy_n(b.begin() + static_cast<long>(at), 6, m.begin());
  return m;
}
void put_mac(Bytes& b, size_t at, const Mac& m) {
  std::copy(m.begin(), m.end(), b.begin() + static_cast<long>(at));
}

/// The Internet checksum (RFC 1071) of b[from, from + len).
uint16_t checksum(const Bytes& b, size_t from, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += get16(b, from + i);
  if (len % 2) sum += uint32_t{b[from + len - 1]} << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

/// An IPv4 packet carrying an ICMP echo request (type 8) or reply (type 0).
Bytes icmp_echo(uint32_t src, uint32_t dst, uint8_t type, uint16_t id, uint16_t seq) {
  const std::string payload = "netlab tap test";
  Bytes p(20 + 8 + payload.size(), 0);
  p[0] = 0x45; // IPv4, 20-byte header
  put16(p, 2, static_cast<uint16_t>(p.size()));
  p[8] = 64; // ttl
  p[9] = IPPROTO_ICMP;
  put32(p, 12, src);
  put32(p, 16, dst);
  put16(p, 10, checksum(p, 0, 20));
  p[20] = type;
  put16(p, 24, id);
  put16(p, 26, seq);
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  put16(p, 22, checksum(p, 20, p.size() - 20));
  return p;
}

/// An ICMP echo in an IPv4 packet, as read back.
struct Echo {
  uint32_t src = 0, dst = 0;
  uint8_t type = 0;
  uint16_t id = 0, seq = 0;
};

std::optional<Echo> parse_echo(const Bytes& p) {
  if (p.size() < 28 || p[0] >> 4 != 4 || p[9] != IPPROTO_ICMP) return std::nullopt;
  size_t ihl = (p[0] & 0x0f) * 4u;
  if (p.size() < ihl + 8 || checksum(p, 0, ihl) != 0 || checksum(p, ihl, p.size() - ihl) != 0) return std::nullopt;
  if (p[ihl] != 0 && p[ihl] != 8) return std::nullopt;
  return Echo{get32(p, 12), get32(p, 16), p[ihl], get16(p, ihl + 4), get16(p, ihl + 6)};
}

Bytes ethernet(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload) {
  Bytes f(k_eth_len, 0);
  put_mac(f, 0, dst);
  put_mac(f, 6, src);
  put16(f, 12, type);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

/// An ARP packet for IPv4 over Ethernet: op 1 request, 2 reply.
Bytes arp(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa) {
  Bytes a(28, 0);
  put16(a, 0, 1); // Ethernet
  put16(a, 2, k_ethertype_ipv4);
  a[4] = 6;
  a[5] = 4;
  put16(a, 6, op);
  put_mac(a, 8, sha);
  put32(a, 14, spa);
  put_mac(a, 18, tha);
  put32(a, 24, tpa);
  return a;
}

/// An ARP packet inside an Ethernet frame, as read back.
struct Arp {
  uint16_t op = 0;
  Mac sha{};
  uint32_t spa = 0, tpa = 0;
};

std::optional<Arp> parse_arp(const Bytes& f) {
  if (f.size() < k_eth_len + 28 || get16(f, 12) != k_ethertype_arp) return std::nullopt;
  return Arp{get16(f, k_eth_len + 6), mac_at(f, k_eth_len + 8), get32(f, k_eth_len + 14), get32(f, k_eth_len + 24)};
}

/// The IPv4 packet inside an Ethernet frame ("" if it carries something else).
Bytes ipv4_payload(const Bytes& f) {
  if (f.size() <= k_eth_len || get16(f, 12) != k_ethertype_ipv4) return {};
  return Bytes(f.begin() + k_eth_len, f.end());
}

/// The echo reply to an echo request: addresses swapped, payload kept as sent.
Bytes echo_reply(const Bytes& request) {
  Bytes p = request;
  size_t ihl = (p[0] & 0x0f) * 4u;
  std::swap_ranges(p.begin() + 12, p.begin() + 16, p.begin() + 16);
  p[8] = 64;
  put16(p, 10, 0);
  put16(p, 10, checksum(p, 0, ihl));
  p[ihl] = 0;
  put16(p, ihl + 2, 0);
  put16(p, ihl + 2, checksum(p, ihl, p.size() - ihl));
  return p;
}

// ---- the device ---------------------------------------------------------------------

using namespace std::chrono_literals;

/// Owns a descriptor (the netlab library's UniqueFd would make `netlab(...)` ambiguous here).
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    std::swap(m_fd, o.m_fd);
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  void reset() {
    if (m_fd >= 0) close(m_fd);
    m_fd = -1;
  }

private:
  int m_fd = -1;
};

/// Attaches to the tun/tap `name` of lab namespace `ns` (TUNSETIFF with `flags`)
/// from a thread that entered the namespace, since /dev/net/tun looks the name
/// up in the namespace it was opened in. Returns the queue, or the errno.
std::pair<UniqueFd, int> attach(const std::string& ns, const std::string& name, int flags) {
  UniqueFd queue;
  int err = 0;
  std::thread([&] {
    UniqueFd nsfd(open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd || setns(nsfd.get(), CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    UniqueFd tun(open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = static_cast<short>(flags);
    if (!tun || ioctl(tun.get(), TUNSETIFF, &ifr) != 0) {
      err = errno;
      return;
    }
    queue = std::move(tun);
  }).join();
  return {std::move(queue), err};
}

/// Waits until `link` of n1 is operationally up. Attaching turns the carrier on,
/// but the kernel activates the device's queue a moment later (linkwatch):
/// until then what it sends to the device is dropped. `ip link show` holds the
/// lock linkwatch runs under, so "state UP" there means the queue is active.
bool carrier_up(const std::string& link) {
  for (int i = 0; i < 200; ++i) {
    if (sh("ip -n n1 -o link show " + link).out.find("state UP") != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

/// The next frame (tap) or packet (tun) from `fd`, or nothing within `timeout`.
std::optional<Bytes> read_one(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  Bytes b(65536);
  ssize_t n = read(fd, b.data(), b.size());
  if (n <= 0) return std::nullopt;
  b.resize(static_cast<size_t>(n));
  return b;
}

/// Reads until `wanted` accepts one (true) or 3 s pass (false); skips the
/// rest (IPv6 neighbour discovery and the like).
bool read_until(int fd, const std::function<bool(const Bytes&)>& wanted) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto got = read_one(fd, std::max(left, 1ms));
    if (got && wanted(*got)) return true;
  }
  return false;
}

bool write_all(int fd, const Bytes& b) {
  return write(fd, b.data(), b.size()) == static_cast<ssize_t>(b.size());
}

/// Plays a host at `ip` behind a tap (Ethernet frames) or a tun (bare IPv4) on
/// its own thread until destroyed: answers ARP requests and ICMP echo requests.
class Responder {
public:
  Responder(int fd, uint32_t ip, bool ethernet) : m_thread([this, fd, ip, ethernet] { loop(fd, ip, ethernet); }) {}
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder() {
    m_stop = true;
    m_thread.join();
  }
  int arp_answers() const { return m_arp; }
  int echo_answers() const { return m_echo; }

private:
  std::optional<Bytes> answer_frame(const Bytes& f, uint32_t ip) {
    if (auto a = parse_arp(f); a && a->op == 1 && a->tpa == ip) {
      ++m_arp;
      return ethernet(a->sha, k_user_mac, k_ethertype_arp, arp(2, k_user_mac, ip, a->sha, a->spa));
    }
    Bytes packet = ipv4_payload(f);
    if (auto e = parse_echo(packet); e && e->type == 8 && e->dst == ip) {
      ++m_echo;
      return ethernet(mac_at(f, 6), k_user_mac, k_ethertype_ipv4, echo_reply(packet));
    }
    return std::nullopt;
  }

  std::optional<Bytes> answer_packet(const Bytes& p, uint32_t ip) {
    auto e = parse_echo(p);
    if (!e || e->type != 8 || e->dst != ip) return std::nullopt;
    ++m_echo;
    return echo_reply(p);
  }

  void loop(int fd, uint32_t ip, bool ethernet) {
    while (!m_stop) {
      auto got = read_one(fd, 50ms);
      if (!got) continue;
      if (auto reply = ethernet ? answer_frame(*got, ip) : answer_packet(*got, ip)) (void)write_all(fd, *reply);
    }
  }

  std::atomic<bool> m_stop{false};
  std::atomic<int> m_arp{0}, m_echo{0};
  std::thread m_thread; ///< last: starts once the counters exist
};

/// n1 holds a bridge with a tap (tap1) and a veth to n2 as ports, a tun (tun0),
/// and a veth to n3, and forwards between tun0 and n3.
std::string lab_text(const std::string& check) {
  return R"(name: tapfeed
nodes:
  n1:
    forwarding: true
    interfaces:
      br0: {kind: bridge}
      tap1: {kind: tap, master: br0}
      eth0: {master: br0}
      tun0: {kind: tun, addresses: [10.41.0.1/24]}
      eth1: {addresses: [10.42.0.1/24]}
  n2:
    interfaces:
      eth0: {addresses: [10.40.0.2/24]}
  n3:
    interfaces:
      eth0: {addresses: [10.42.0.2/24]}
    routes: [10.41.0.0/24 via 10.42.0.1]
links:
  - [n1:eth0, n2:eth0]
  - [n1:eth1, n3:eth0]
checks:
  - )" + check +
         "\n";
}

/// An echo reply from `src` to `dst` with id 0x4242 and sequence `seq`.
bool is_reply(const std::optional<Echo>& e, uint32_t src, uint32_t dst, uint16_t seq) {
  return e && e->type == 0 && e->src == src && e->dst == dst && e->id == 0x4242 && e->seq == seq;
}

} // namespace

TEST_CASE("a tap made by netlab is a bridge port that user space feeds with frames", "[cli][tuntap]") {
  const std::string file = write_temp("tap.yaml", lab_text("{from: n2, ping: 10.40.0.9, timeout: 1}"));
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 3); // nobody behind the tap yet

  auto [queue, err] = attach("n1", "tap1", IFF_TAP | IFF_NO_PI);
  REQUIRE(err == 0);
  REQUIRE(carrier_up("tap1"));
  const uint32_t me = ip4("10.40.0.9"), n2 = ip4("10.40.0.2");
  // The test writes an ARP request; n2 answers it through the bridge.
  REQUIRE(write_all(queue.get(), ethernet(k_broadcast, k_user_mac, k_ethertype_arp, arp(1, k_user_mac, me, {}, n2))));
  Mac n2_mac{};
  CHECK(read_until(queue.get(), [&](const Bytes& f) {
    auto a = parse_arp(f);
    if (!a || a->op != 2 || a->spa != n2 || a->tpa != me) return false;
    n2_mac = a->sha;
    return true;
  }));
  CHECK(sh("ip -n n1 link show master br0 | grep -c tap1").out == "1\n");
  // Then an ICMP echo request to n2, whose reply comes back on the tap.
  REQUIRE(write_all(queue.get(), ethernet(n2_mac, k_user_mac, k_ethertype_ipv4, icmp_echo(me, n2, 8, 0x4242, 1))));
  CHECK(read_until(queue.get(), [&](const Bytes& f) { return is_reply(parse_echo(ipv4_payload(f)), n2, me, 1); }));

  // The other way: n2 starts (`netlab test`), the test answers its ARP and echo requests.
  REQUIRE(sh("ip -n n2 neigh flush all").rc == 0);
  {
    Responder host(queue.get(), me, true);
    Run test = netlab("test " + file);
    CHECK(test.rc == 0);
    CHECK(host.arp_answers() >= 1);
    CHECK(host.echo_answers() >= 1);
  }
  queue.reset();
  CHECK(sh("ip -n n1 -o link show tap1").rc == 0); // persistent: outlives its last user
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("a tun made by netlab carries bare IP packets between user space and the lab", "[cli][tuntap]") {
  const std::string file = write_temp("tun.yaml", lab_text("{from: n3, ping: 10.41.0.2, timeout: 1}"));
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 3);

  auto [queue, err] = attach("n1", "tun0", IFF_TUN | IFF_NO_PI);
  REQUIRE(err == 0);
  REQUIRE(carrier_up("tun0"));
  const uint32_t me = ip4("10.41.0.2"), n3 = ip4("10.42.0.2");
  // An echo request to n3, routed by n1; the reply comes back to the tun.
  REQUIRE(write_all(queue.get(), icmp_echo(me, n3, 8, 0x4242, 7)));
  CHECK(read_until(queue.get(), [&](const Bytes& p) { return is_reply(parse_echo(p), n3, me, 7); }));
  {
    Responder host(queue.get(), me, false);
    CHECK(netlab("test " + file).rc == 0);
    CHECK(host.echo_answers() >= 1);
  }
  queue.reset();
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}

namespace {

/// As an unprivileged user (uid/gid `id`): may that user attach to `name` in n1?
/// Returns 0 or the errno of TUNSETIFF, from a child process that drops root.
int attach_as(uid_t id, const std::string& name, int flags) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    UniqueFd nsfd(open("/run/netns/n1", O_RDONLY | O_CLOEXEC));
    if (!nsfd || setns(nsfd.get(), CLONE_NEWNET) != 0) _exit(200);
    UniqueFd tun(open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!tun || setgroups(0, nullptr) != 0 || setgid(id) != 0 || setuid(id) != 0) _exit(201);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = static_cast<short>(flags);
    _exit(ioctl(tun.get(), TUNSETIFF, &ifr) == 0 ? 0 : errno);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// /sys/class/net/<link>/<attr> of n1 (sysfs as `ip netns exec` mounts it for the namespace).
std::string sys_attr(const std::string& link, const std::string& attr) {
  return sh("ip netns exec n1 cat /sys/class/net/" + link + "/" + attr).out;
}

} // namespace

TEST_CASE("tun/tap options user group and multi_queue reach the kernel", "[cli][tuntap]") {
  const std::string file = write_temp("owners.yaml", R"(name: tunopts
nodes:
  n1:
    interfaces:
      tapq: {kind: tap, user: nobody, group: nogroup, multi_queue: true}
      tunu: {kind: tun, user: 4242, group: "4343"}
      tapp: {kind: tap}
)");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(sys_attr("tapq", "owner") == "65534\n");
  CHECK(sys_attr("tapq", "group") == "65534\n");
  CHECK(sys_attr("tunu", "owner") == "4242\n");
  CHECK(sys_attr("tunu", "group") == "4343\n");
  CHECK(sys_attr("tapp", "owner") == "-1\n");
  auto flags = [&](const std::string& link) { return std::stoul(sys_attr(link, "tun_flags"), nullptr, 16); };
  CHECK(flags("tapq") == (IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_PERSIST));
  CHECK(flags("tunu") == (IFF_TUN | IFF_NO_PI | IFF_PERSIST));
  CHECK(flags("tapp") == (IFF_TAP | IFF_NO_PI | IFF_PERSIST));
  CHECK_THAT(sh("ip -n n1 -d link show tapq").out,
             Catch::Contains("multi_queue") && Catch::Contains("user nobody group nogroup"));
  CHECK_THAT(sh("ip -n n1 -d link show tunu").out, Catch::Contains("user 4242 group 4343"));

  // A multi-queue tap takes several queues; a single-queue one only one.
  auto [q1, e1] = attach("n1", "tapq", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
  auto [q2, e2] = attach("n1", "tapq", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
  CHECK(e1 == 0);
  CHECK(e2 == 0);
  CHECK_THAT(sh("ip -n n1 -d link show tapq").out, Catch::Contains("numqueues 2"));
  CHECK(attach("n1", "tapq", IFF_TAP | IFF_NO_PI).second == EINVAL);
  auto [p1, f1] = attach("n1", "tapp", IFF_TAP | IFF_NO_PI);
  CHECK(f1 == 0);
  CHECK(attach("n1", "tapp", IFF_TAP | IFF_NO_PI).second == EBUSY);

  // The owner may open its device without privileges; others may not.
  CHECK(attach_as(65534, "tapq", IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE) == 0);
  CHECK(attach_as(65534, "tunu", IFF_TUN | IFF_NO_PI) == EPERM);
  CHECK(attach_as(4242, "tunu", IFF_TUN | IFF_NO_PI) == EPERM); // user matches, group 4343 does not
  q1.reset();
  q2.reset();
  p1.reset();
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  fs::remove(file);
}
