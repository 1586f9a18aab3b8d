#pragma once
// RAII for libnl objects and one NETLINK_ROUTE socket that reports the
// kernel's own errno and extended-ack text instead of libnl's coarse codes.
#include <netlab/util/error.hpp>
#include <netlab/util/ip.hpp>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

namespace netlab {

/// Calls a libnl release function; lets unique_ptr own libnl objects.
template <auto Release> struct NlRelease {
  template <class T> void operator()(T* p) const { Release(p); }
};
using NlSockPtr = std::unique_ptr<nl_sock, NlRelease<nl_socket_free>>;
using NlCbPtr = std::unique_ptr<nl_cb, NlRelease<nl_cb_put>>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlRelease<nlmsg_free>>;
using NlCachePtr = std::unique_ptr<nl_cache, NlRelease<nl_cache_free>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlRelease<nl_addr_put>>;
using RtnlLinkPtr = std::unique_ptr<rtnl_link, NlRelease<rtnl_link_put>>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, NlRelease<rtnl_addr_put>>;
using RtnlRoutePtr = std::unique_ptr<rtnl_route, NlRelease<rtnl_route_put>>;

/// A failed netlink request: the kernel's errno and a printable text.
struct NlError {
  int code = 0;     ///< positive errno as the kernel reported it (0 if libnl failed locally)
  std::string text; ///< strerror, plus the kernel's extended-ack message in parentheses
};
template <class T> using NlExpected = std::expected<T, NlError>;

/// Text for a negative libnl return code (NLE_*).
std::string nl_error_text(int nl_code);

/// A request that failed before it was sent (errno `err`, e.g. ENOMEM), with `detail` in parentheses.
NlError local_error(int err, const std::string& detail = {});

/// A NETLINK_ROUTE socket; it stays in the namespace of the thread that opened it.
class NlSocket {
public:
  /// Opens and connects a socket in the calling thread's network namespace.
  static Expected<NlSocket> open();

  nl_sock* get() const { return m_sock.get(); }
  /// Sends one request and waits for its ack; replies before the ack go to `on_reply`.
  NlExpected<void> request(nl_msg* msg, const std::function<void(nl_msg*)>& on_reply = {});
  /// Which routes dump_routes() asks the kernel for: the main table's routes of
  /// netlab (protocol k_route_protocol), or all of them (export, --adopt).
  enum class RouteDump { netlab_main, all_main };
  /// Whether dump_links() asks for each link's statistics (IFLA_STATS64: the live
  /// graph's counters); without them, a third less to read per link.
  enum class LinkDump { without_stats, with_stats };
  /// Dumps of links, addresses (all families) and routes of the main table (IPv4
  /// and IPv6) as `which` says.
  Expected<NlCachePtr> dump_links(LinkDump which = LinkDump::without_stats);
  Expected<NlCachePtr> dump_addrs();
  Expected<NlCachePtr> dump_routes(RouteDump which = RouteDump::netlab_main);
  /// The links with these indexes or names, one request each (none for one
  /// gone; a link named twice is there once), in a cache like dump_links()'s.
  Expected<NlCachePtr> get_links(const std::vector<int>& indexes, const std::vector<std::string>& names = {});
  /// Index of the link called `name` (ENODEV if none). Remembered for the run:
  /// the kernel never reuses an index soon, so a stale one can only fail, never
  /// hit another link; callers that delete links forget them.
  NlExpected<int> ifindex(const std::string& name);
  /// Drops remembered indexes: of `name`, or all of them.
  void forget_ifindex(const std::string& name) { m_ifindex.erase(name); }
  void forget_ifindexes() { m_ifindex.clear(); }
  /// Replaces what is remembered with what a dump just read (a link deleted and
  /// made again by hand has a new index: the old one would fail every request).
  void remember_ifindexes(std::unordered_map<std::string, int> now) { m_ifindex = std::move(now); }

private:
  NlSockPtr m_sock;
  NlCbPtr m_cb; ///< ack/error callbacks for request()
  std::unordered_map<std::string, int> m_ifindex;
};

/// nl_addr <-> IpAddr / Cidr.
NlAddrPtr to_nl_addr(const IpAddr& a, int prefix);
std::optional<IpAddr> from_nl_addr(nl_addr* a);
/// "aa:bb:cc:dd:ee:ff" -> AF_LLC nl_addr; null if malformed.
NlAddrPtr mac_to_nl_addr(std::string_view mac);
/// Lower-case "aa:bb:..." of a link-layer address.
std::string mac_string(nl_addr* a);

} // namespace netlab
