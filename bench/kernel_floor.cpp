// netlab_floor: the kernel floor of the benchmark's labs. It builds (and tears
// down) the same kernel objects as `netlab up` (`down`) of a star-N or tree-N lab
// with only the netlink requests the lab needs: no reads, no ownership tags, no
// state dir, every request pipelined (sent without waiting for the previous ack),
// requests of different namespaces on their own sockets, namespaces made on one
// thread per core. What is left is the kernel's own work, which netlab cannot beat.
// netlab_bench runs it as a child process, in the same sandbox, beside netlab
// and the ip script (bench/README.md); it is not meant to be run by hand outside
// that sandbox (it mounts on /run/netns and makes links in its network namespace).
#include "labs.hpp"
#include "rtnl.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using netlab::bench::Shape;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netlab_floor: %s\n", what.c_str());
  std::exit(1);
}

std::string errno_text(const std::string& what, int err = errno) { return what + ": " + std::strerror(err); }

using netlab::bench::Request;
using netlab::bench::Socket;

Request new_link(std::string_view name, unsigned flags, uint32_t master) {
  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = 0, .ifi_flags = flags,
                    .ifi_change = flags});
  r.attr_str(IFLA_IFNAME, name);
  if (master != 0) r.attr_u32(IFLA_MASTER, master);
  return r;
}

/// IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }: no IPv6 link-local,
/// as netlab leaves an IPv4-only link (the kernel takes it only on an existing link).
void addrgen_none(Request& r) {
  size_t spec = r.begin(IFLA_AF_SPEC);
  size_t inet6 = r.begin(AF_INET6);
  uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
  r.attr(IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
  r.end(inet6);
  r.end(spec);
}

Request set_link(int index, std::string_view name, unsigned flags, bool no_ipv6) {
  Request r(RTM_NEWLINK, 0);
  r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = index, .ifi_flags = flags,
                    .ifi_change = flags});
  if (index == 0) r.attr_str(IFLA_IFNAME, name);
  if (no_ipv6) addrgen_none(r);
  return r;
}

/// A veth `name` (up, in `master`) whose peer `peer` is made in the namespace
/// `peer_ns` (or beside it, -1) with ifindex `peer_index` (0: any), down, one queue each.
Request new_veth(std::string_view name, uint32_t master, std::string_view peer, int peer_ns, int peer_index) {
  Request r = new_link(name, IFF_UP, master);
  r.attr_u32(IFLA_NUM_TX_QUEUES, 1);
  r.attr_u32(IFLA_NUM_RX_QUEUES, 1);
  size_t info = r.begin(IFLA_LINKINFO);
  r.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = r.begin(IFLA_INFO_DATA);
  size_t p = r.begin(VETH_INFO_PEER);
  // Not up here: the peer is configured before the pair is joined (veth_open: ENOTCONN).
  r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = peer_index, .ifi_flags = 0,
                    .ifi_change = 0});
  r.attr_str(IFLA_IFNAME, peer);
  if (peer_ns >= 0) r.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_ns));
  r.attr_u32(IFLA_NUM_TX_QUEUES, 1);
  r.attr_u32(IFLA_NUM_RX_QUEUES, 1);
  r.end(p);
  r.end(data);
  r.end(info);
  return r;
}

/// A veth eth0 made in the namespace `ns` with ifindex 2, up (it has no carrier
/// until its peer is up), and its peer `peer` in the caller's namespace, down.
Request new_veth_in(int ns, std::string_view peer) {
  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = 2, .ifi_flags = IFF_UP,
                    .ifi_change = IFF_UP});
  r.attr_str(IFLA_IFNAME, "eth0");
  r.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(ns));
  r.attr_u32(IFLA_NUM_TX_QUEUES, 1);
  r.attr_u32(IFLA_NUM_RX_QUEUES, 1);
  size_t info = r.begin(IFLA_LINKINFO);
  r.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = r.begin(IFLA_INFO_DATA);
  size_t p = r.begin(VETH_INFO_PEER);
  r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = 0, .ifi_flags = 0,
                    .ifi_change = 0});
  r.attr_str(IFLA_IFNAME, peer);
  r.attr_u32(IFLA_NUM_TX_QUEUES, 1);
  r.attr_u32(IFLA_NUM_RX_QUEUES, 1);
  r.end(p);
  r.end(data);
  r.end(info);
  return r;
}

/// Link `name` into bridge `master`, up: one request.
Request set_port(const std::string& name, int master) {
  Request r = set_link(0, name, IFF_UP, false);
  r.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master));
  return r;
}

Request new_bridge(std::string_view name) {
  Request r = new_link(name, IFF_UP, 0);
  size_t info = r.begin(IFLA_LINKINFO);
  r.attr_str(IFLA_INFO_KIND, "bridge");
  r.end(info);
  return r;
}

in_addr_t ip4(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) die("not an IPv4 address: " + text);
  return a.s_addr;
}

Request new_address(int index, const std::string& addr, uint8_t prefix) {
  Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  r.fixed(ifaddrmsg{.ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_flags = 0, .ifa_scope = RT_SCOPE_UNIVERSE,
                    .ifa_index = static_cast<uint32_t>(index)});
  in_addr_t a = ip4(addr);
  r.attr(IFA_LOCAL, &a, sizeof a);
  r.attr(IFA_ADDRESS, &a, sizeof a);
  return r;
}

Request new_default_route(const std::string& via) {
  Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  r.fixed(rtmsg{.rtm_family = AF_INET, .rtm_dst_len = 0, .rtm_src_len = 0, .rtm_tos = 0, .rtm_table = RT_TABLE_MAIN,
                .rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST, .rtm_flags = 0});
  in_addr_t gw = ip4(via);
  r.attr(RTA_GATEWAY, &gw, sizeof gw);
  return r;
}

// ---------------------------------------------------------------- namespaces

/// One namespace of the lab: a socket inside it. Its file is opened again for
/// the one request that names it (IFLA_NET_NS_FD), as netlab does: a file and
/// a socket each for 10,000 namespaces would pass the usual hard limit of open files.
struct Netns {
  std::optional<Socket> sock;
};

/// /run/netns as `ip netns` (and netlab) leave it: a shared mount point, so a
/// namespace bind-mounted there is seen in every mount namespace.
void share_run_netns() {
  fs::create_directories("/run/netns");
  if (mount("", "/run/netns", nullptr, MS_SHARED | MS_REC, nullptr) == 0) return;
  if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, nullptr) != 0 ||
      mount("", "/run/netns", nullptr, MS_SHARED | MS_REC, nullptr) != 0)
    die(errno_text("make /run/netns a shared mount"));
}

/// Namespaces [from, to) made on the calling thread: unshare, bind-mount into
/// /run/netns, open a socket in it, and ask for lo up (not waited for).
void make_namespaces(std::vector<Netns>& out, int from, int to) {
  for (int i = from; i < to; ++i) {
    if (unshare(CLONE_NEWNET) != 0) die(errno_text("unshare"));
    std::string path = "/run/netns/" + netlab::bench::ns_name(i);
    int file = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (file < 0) die(errno_text(path));
    close(file);
    if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) die(errno_text("bind " + path));
    out[i].sock.emplace();
    Request lo = set_link(1, "", IFF_UP, false);
    out[i].sock->send(lo, path + ": lo up");
  }
}

/// A socket per namespace: up to the hard limit, which only CAP_SYS_RESOURCE raises.
void raise_fd_limit(int namespaces) {
  rlimit have{};
  getrlimit(RLIMIT_NOFILE, &have);
  const auto want = static_cast<rlim_t>(namespaces + 256);
  if (have.rlim_cur >= want) return;
  rlimit next{.rlim_cur = std::max(want, have.rlim_max), .rlim_max = std::max(want, have.rlim_max)};
  if (setrlimit(RLIMIT_NOFILE, &next) == 0) return;
  next = {.rlim_cur = have.rlim_max, .rlim_max = have.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &next) != 0 || have.rlim_max < want)
    die("needs " + std::to_string(want) + " open files, the hard limit is " + std::to_string(have.rlim_max));
}

// ---------------------------------------------------------------- the lab

int index_of(const std::string& name) {
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) die(errno_text(name));
  return static_cast<int>(index);
}

/// `netlab up` of the lab, in kernel requests only.
/// NETLAB_FLOOR_TIMES=1: each phase's time on stderr (to see where the floor's own time goes).
void phase(const char* what) {
  static auto last = std::chrono::steady_clock::now();
  static const bool print = std::getenv("NETLAB_FLOOR_TIMES") != nullptr;
  auto now = std::chrono::steady_clock::now();
  if (print) std::fprintf(stderr, "netlab_floor: %-40s %.3f s\n", what, std::chrono::duration<double>(now - last).count());
  last = now;
}

/// `netlab up` of the lab, in kernel requests only, leaving what netlab leaves:
/// the IPv4-only namespaces' links without IPv6 link-local (address generation
/// mode none; the kernel takes the mode only on a link that exists, so eth0 gets
/// it before it has a carrier, which a veth has only once its peer is up), their
/// peers in the host namespace without IPv6 at all (disable_ipv6), the bridges
/// and uplinks as the host's defaults make them.
void up(const Shape& shape) {
  phase("start");
  const int n = shape.namespaces();
  raise_fd_limit(n);
  share_run_netns();
  std::vector<Netns> nss(static_cast<size_t>(n));
  {
    // Each thread makes its share of the namespaces (netlab's engine does the same).
    int threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back(make_namespaces, std::ref(nss), n * t / threads, n * (t + 1) / threads);
    for (auto& w : workers) w.join();
  }
  phase("namespaces, lo up");

  Socket host;
  for (const auto& b : shape.bridges()) {
    Request r = new_bridge(b);
    host.send(r, "create bridge " + b);
  }
  host.drain();
  for (int l = 0; l < shape.leaves; ++l) {
    // The uplink of leaf l, both ends in the host namespace: up<l> in the leaf, up.
    std::string up_name = "up" + std::to_string(l), dn = "dn" + std::to_string(l);
    Request r = new_veth(up_name, static_cast<uint32_t>(index_of(shape.leaf(l))), dn, -1, 0);
    host.send(r, "create veth " + up_name);
  }
  host.drain();
  // One veth after the other, each waited for, as netlab does: eth0 made in
  // namespace i (ifindex 2) and up, its peer v<i> in the host namespace, down;
  // eth0 without IPv6 link-local before it has a carrier; v<i> into its bridge
  // and up. (All veths first and then all ports up, pipelined, took twice as
  // long: a thousand ports' IPv6 start-up work at once, against these requests
  // for RTNL.)
  for (int i = 0; i < n; ++i) {
    std::string ns = netlab::bench::ns_name(i), port = "v" + std::to_string(i);
    int fd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(errno_text("open /run/netns/" + ns));
    Request r = new_veth_in(fd, port);
    host.send(r, "create veth " + port);
    host.drain();
    close(fd);
    // IPv6 off on the port before it has carrier, as netlab does (its peer's namespace has none).
    std::string off = "/proc/sys/net/ipv6/conf/" + port + "/disable_ipv6";
    int sysctl = open(off.c_str(), O_WRONLY | O_CLOEXEC);
    if (sysctl < 0 || write(sysctl, "1\n", 2) != 2) die(errno_text(off));
    close(sysctl);
    Request mode = set_link(2, "", 0, true);
    nss[i].sock->send(mode, ns + ": eth0 addrgenmode none");
    nss[i].sock->drain();
    Request up = set_port(port, index_of(shape.port_bridge(i)));
    host.send(up, "set " + port + " up in " + shape.port_bridge(i));
  }
  host.drain();
  phase("bridges, veths, ports up");

  for (int i = 0; i < n; ++i) {
    std::string ns = netlab::bench::ns_name(i);
    Request addr = new_address(2, netlab::bench::ns_addr(i), 16);
    nss[i].sock->send(addr, ns + ": add address");
    if (shape.tree()) continue; // no gateway
    Request route = new_default_route("10.0.0.1");
    nss[i].sock->send(route, ns + ": add default route");
  }
  for (auto& ns : nss) ns.sock->drain();
  phase("in each namespace: address, route");

  for (int l = 0; l < shape.leaves; ++l) {
    Request d = set_port("dn" + std::to_string(l), index_of(shape.root()));
    host.send(d, "set dn" + std::to_string(l) + " up in " + shape.root());
  }
  if (!shape.tree()) {
    Request gw = new_address(index_of(shape.root()), "10.0.0.1", 16);
    host.send(gw, "add 10.0.0.1/16 to " + shape.root());
  }
  host.drain();
  phase("uplinks, the bridge's address");
}

/// Links of the calling thread's namespace.
size_t link_count() {
  size_t count = 0;
  if (struct if_nameindex* list = if_nameindex()) {
    for (auto* p = list; p->if_index != 0; ++p) ++count;
    if_freenameindex(list);
  }
  return count;
}

/// `netlab down` of the lab in kernel requests only: every /run/netns entry
/// unmounted and removed (what `ip -all netns delete` does), the bridges and the
/// uplinks deleted,
/// then wait until the kernel's asynchronous namespace cleanup has removed the
/// host ends of the veths (only lo left).
void down(const Shape& shape) {
  for (const auto& e : fs::directory_iterator("/run/netns")) {
    if (umount2(e.path().c_str(), MNT_DETACH) != 0) die(errno_text("umount " + e.path().string()));
    if (unlink(e.path().c_str()) != 0) die(errno_text("unlink " + e.path().string()));
  }
  Socket host;
  for (const auto& b : shape.bridges()) {
    Request r(RTM_DELLINK, 0);
    r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = 0, .ifi_flags = 0,
                      .ifi_change = 0});
    r.attr_str(IFLA_IFNAME, b);
    host.send(r, "delete " + b);
  }
  for (int l = 0; l < shape.leaves; ++l) {
    std::string up_name = "up" + std::to_string(l);
    Request r(RTM_DELLINK, 0);
    r.fixed(ifinfomsg{.ifi_family = AF_UNSPEC, .__ifi_pad = 0, .ifi_type = 0, .ifi_index = 0, .ifi_flags = 0,
                      .ifi_change = 0});
    r.attr_str(IFLA_IFNAME, up_name);
    host.send(r, "delete " + up_name);
  }
  host.drain();
  auto start = std::chrono::steady_clock::now();
  while (link_count() > 1) {
    if (std::chrono::steady_clock::now() - start > std::chrono::minutes(5)) die("links still there after 5 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::string_view(argv[1]) != "up" && std::string_view(argv[1]) != "down"))
    die("usage: netlab_floor up|down star|tree N (run by netlab_bench inside its sandbox)");
  auto shape = Shape::parse(argv[2], std::atoi(argv[3]));
  if (!shape) die("not a lab: " + std::string(argv[2]) + " " + argv[3]);
  if (std::string_view(argv[1]) == "up")
    up(*shape);
  else
    down(*shape);
  return 0;
}
