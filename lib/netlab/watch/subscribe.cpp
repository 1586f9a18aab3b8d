#include <netlab/watch/subscribe.hpp>

#include <netlab/util/netns.hpp>

#include <cerrno>
#include <cstdlib>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

namespace netlab {

namespace {

constexpr int k_rcvbuf = 4 << 20;

/// The receive buffer: 4 MiB, or NETLAB_WATCH_RCVBUF bytes (a test hook: a small
/// buffer makes a burst overflow, so the ENOBUFS resync can be tested).
int rcvbuf() {
  const char* env = std::getenv("NETLAB_WATCH_RCVBUF");
  if (!env) return k_rcvbuf;
  char* end = nullptr;
  long v = std::strtol(env, &end, 10);
  return (*end == '\0' && v > 0 && v <= k_rcvbuf) ? static_cast<int>(v) : k_rcvbuf;
}

Expected<UniqueFd> netlink_subscription(int protocol, std::initializer_list<unsigned> groups) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
  if (!fd) return fail("netlink socket: " + errno_text(errno));
  // FORCE passes the rmem_max cap (root); the plain option is the fallback.
  const int size = rcvbuf();
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail("netlink bind: " + errno_text(errno));
  for (unsigned g : groups)
    if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) != 0)
      return fail("netlink group " + std::to_string(g) + ": " + errno_text(errno));
  return fd;
}

} // namespace

Expected<NsSubscription> subscribe_netns(const NsRef& ns, bool nft) {
  auto nsfd = open_netns(ns);
  if (!nsfd) return std::unexpected(nsfd.error());
  NsSubscription sub;
  auto opened = run_in_netns(nsfd->get(), [&]() -> Expected<void> {
    auto rtnl = netlink_subscription(NETLINK_ROUTE, {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                                     RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                                                     RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF});
    if (!rtnl) return std::unexpected(rtnl.error());
    sub.rtnl = std::move(*rtnl);
    if (nft) {
      auto n = netlink_subscription(NETLINK_NETFILTER, {NFNLGRP_NFTABLES});
      if (!n) return std::unexpected(n.error());
      sub.nft = std::move(*n);
    }
    sub.ns_id = current_netns_id();
    return {};
  });
  if (!opened) return fail("namespace '" + ns.node + "': subscribe: " + opened.error().message);
  return sub;
}

Expected<UniqueFd> watch_directory(const std::string& dir) {
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return fail("inotify: " + errno_text(errno));
  const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR;
  if (::inotify_add_watch(fd.get(), dir.c_str(), mask) < 0) return fail(dir + ": inotify: " + errno_text(errno));
  return fd;
}

long read_datagram(int fd, std::byte* buf, size_t size) {
  for (;;) {
    ssize_t n = ::recv(fd, buf, size, MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    return -errno;
  }
}

} // namespace netlab
