#pragma once
// The event sources of `netlab watch`: netlink subscriptions opened inside a
// namespace (a netlink socket stays in the namespace it was opened in), and
// inotify on directories. Each is a non-blocking fd for one epoll loop.
#include <netlab/kernel/state.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/fd.hpp>

#include <cstdint>
#include <string>

namespace netlab {

/// Sockets subscribed to one namespace's changes.
struct NsSubscription {
  UniqueFd rtnl;       ///< NETLINK_ROUTE: links, IPv4/IPv6 addresses, routes and netconf (forwarding, rp_filter)
  UniqueFd nft;        ///< NETLINK_NETFILTER, NFNLGRP_NFTABLES (only where the lab has NAT), else empty
  uint64_t ns_id = 0;  ///< the namespace they listen in (current_netns_id() there)
};

/// Opens the subscriptions inside `ns` (receive buffers raised to 4 MiB where
/// CAP_NET_ADMIN allows, so a burst overflows later; an overflow is ENOBUFS).
/// NETLAB_WATCH_RCVBUF=BYTES sets a smaller buffer (tests: make a burst overflow).
Expected<NsSubscription> subscribe_netns(const NsRef& ns, bool nft);

/// An inotify fd watching `dir` for entries created, deleted, moved or written.
Expected<UniqueFd> watch_directory(const std::string& dir);

/// Reads one datagram (non-blocking). Returns its size, 0 when none is queued, or
/// -ENOBUFS when the kernel dropped events (the socket still works), -errno otherwise.
long read_datagram(int fd, std::byte* buf, size_t size);

} // namespace netlab
