#include <netlab/kernel/netlink_socket.hpp>

#include <netlab/kernel/state.hpp>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/cache.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <set>
#include <sys/socket.h>

namespace netlab {

namespace {

/// What the callbacks of one request() learn.
struct AckState {
  bool done = false;
  NlError error;
  const std::function<void(nl_msg*)>* on_reply = nullptr;
};

/// The extended-ack message ("Unknown device type") after a capped nlmsgerr.
std::string extack_message(nlmsgerr* e) {
  auto* hdr = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(e) - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  size_t skip = NLMSG_ALIGN(sizeof(nlmsgerr));
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) skip = NLMSG_ALIGN(sizeof(int) + e->msg.nlmsg_len);
  long len = static_cast<long>(hdr->nlmsg_len) - NLMSG_HDRLEN - static_cast<long>(skip);
  if (len <= 0) return {};
  auto* first = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(e) + skip);
  nlattr* msg = nla_find(first, static_cast<int>(len), NLMSGERR_ATTR_MSG);
  if (!msg || nla_len(msg) <= 0) return {};
  return std::string(static_cast<const char*>(nla_data(msg)),
                     strnlen(static_cast<const char*>(nla_data(msg)), static_cast<size_t>(nla_len(msg))));
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
  auto* st = static_cast<AckState*>(arg);
  st->done = true;
  st->error.code = -e->error;
  st->error.text = errno_text(-e->error);
  if (auto ext = extack_message(e); !ext.empty()) st->error.text += " (" + ext + ")";
  return NL_STOP;
}

int on_ack(nl_msg*, void* arg) {
  static_cast<AckState*>(arg)->done = true;
  return NL_STOP;
}

int on_valid(nl_msg* msg, void* arg) {
  auto* st = static_cast<AckState*>(arg);
  if (st->on_reply && *st->on_reply) (*st->on_reply)(msg);
  return NL_OK;
}

/// Negative NLE_* codes that stand for one errno: give the errno's own text.
int nl_to_errno(int nl_code) {
  switch (-nl_code) {
  case NLE_EXIST: return EEXIST;
  case NLE_OBJ_NOTFOUND: return ENODEV;
  case NLE_NOADDR: return EADDRNOTAVAIL;
  case NLE_PERM: return EPERM;
  case NLE_NODEV: return ENODEV;
  case NLE_BUSY: return EBUSY;
  case NLE_OPNOTSUPP: return EOPNOTSUPP;
  case NLE_NOMEM: return ENOMEM;
  case NLE_INVAL: return EINVAL;
  case NLE_RANGE: return ERANGE;
  case NLE_AGAIN: return EAGAIN;
  default: return 0;
  }
}

} // namespace

NlError local_error(int err, const std::string& detail) {
  return NlError{err, errno_text(err) + (detail.empty() ? "" : " (" + detail + ")")};
}

std::string nl_error_text(int nl_code) {
  if (int err = nl_to_errno(nl_code)) return errno_text(err);
  return nl_geterror(nl_code);
}

Expected<NlSocket> NlSocket::open() {
  NlSocket s;
  s.m_sock.reset(nl_socket_alloc());
  s.m_cb.reset(nl_cb_alloc(NL_CB_DEFAULT));
  if (!s.m_sock || !s.m_cb) return fail("netlink socket: out of memory");
  if (int rc = nl_connect(s.m_sock.get(), NETLINK_ROUTE); rc < 0) return fail("netlink socket: " + nl_error_text(rc));
  int fd = nl_socket_get_fd(s.m_sock.get());
  int one = 1;
  // Extended acks carry the kernel's reason ("Unknown device type"); capping
  // keeps the ack from echoing our whole request back.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  nl_socket_set_buffer_size(s.m_sock.get(), 1 << 20, 1 << 20);
  return s;
}

NlExpected<void> NlSocket::request(nl_msg* msg, const std::function<void(nl_msg*)>& on_reply) {
  AckState st;
  st.on_reply = &on_reply;
  nl_cb_err(m_cb.get(), NL_CB_CUSTOM, on_error, &st);
  nl_cb_set(m_cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
  nl_cb_set(m_cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
  if (int rc = nl_send_auto(m_sock.get(), msg); rc < 0) return std::unexpected(NlError{0, nl_error_text(rc)});
  while (!st.done) {
    int rc = nl_recvmsgs(m_sock.get(), m_cb.get());
    if (st.error.code) return std::unexpected(st.error);
    if (rc < 0) return std::unexpected(NlError{0, nl_error_text(rc)});
  }
  if (st.error.code) return std::unexpected(st.error);
  return {};
}

namespace {

/// Sends the dump request `msg` and adds what it returns to `cache`.
int dump_into(nl_sock* sock, nl_cache* cache, nl_msg* msg) {
  if (int rc = nl_send_auto(sock, msg); rc < 0) return rc;
  return nl_cache_pickup(sock, cache);
}

} // namespace

Expected<NlCachePtr> NlSocket::dump_links(LinkDump which) {
  // Without statistics (RTEXT_FILTER_SKIP_STATS) unless asked: nothing else
  // netlab reads, and about a third of each link's message.
  nl_cache* raw = nullptr;
  if (int rc = nl_cache_alloc_name("route/link", &raw); rc < 0) return fail("dump links: " + nl_error_text(rc));
  NlCachePtr cache(raw);
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), IFLA_EXT_MASK, which == LinkDump::with_stats ? 0u : RTEXT_FILTER_SKIP_STATS) < 0)
    return fail("dump links: out of memory");
  if (int rc = dump_into(m_sock.get(), cache.get(), msg.get()); rc < 0) return fail("dump links: " + nl_error_text(rc));
  return cache;
}

Expected<NlCachePtr> NlSocket::get_links(const std::vector<int>& indexes, const std::vector<std::string>& names) {
  nl_cache* raw = nullptr;
  if (int rc = nl_cache_alloc_name("route/link", &raw); rc < 0) return fail("read links: " + nl_error_text(rc));
  NlCachePtr cache(raw);
  std::set<int> have;
  auto get = [&](int index, const char* name) -> Expected<void> {
    rtnl_link* got = nullptr;
    int rc = rtnl_link_get_kernel(m_sock.get(), index, name, &got);
    if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV) return {}; // deleted since
    if (rc < 0) return fail("read link " + (name ? std::string(name) : std::to_string(index)) + ": " + nl_error_text(rc));
    RtnlLinkPtr link(got);
    if (!have.insert(rtnl_link_get_ifindex(link.get())).second) return {};
    if (int added = nl_cache_add(cache.get(), OBJ_CAST(link.get())); added < 0)
      return fail("read links: " + nl_error_text(added));
    return {};
  };
  for (int index : indexes)
    if (auto ok = get(index, nullptr); !ok) return std::unexpected(ok.error());
  for (const auto& name : names)
    if (auto ok = get(0, name.c_str()); !ok) return std::unexpected(ok.error());
  return cache;
}

Expected<NlCachePtr> NlSocket::dump_addrs() {
  nl_cache* c = nullptr;
  if (int rc = rtnl_addr_alloc_cache(m_sock.get(), &c); rc < 0) return fail("dump addresses: " + nl_error_text(rc));
  return NlCachePtr(c);
}

Expected<NlCachePtr> NlSocket::dump_routes(RouteDump which) {
  // Only the main table (and, unless all protocols are asked for, netlab's
  // routes), filtered by the kernel (strict checking makes it honour the table
  // and protocol of the request): an AF_UNSPEC dump walks every family's every
  // table, local routes included.
  int fd = nl_socket_get_fd(m_sock.get());
  int on = 1, off = 0;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on) != 0) {
    nl_cache* c = nullptr; // a kernel before 4.20: all of them, filtered by the reader
    if (int rc = rtnl_route_alloc_cache(m_sock.get(), AF_UNSPEC, 0, &c); rc < 0)
      return fail("dump routes: " + nl_error_text(rc));
    return NlCachePtr(c);
  }
  nl_cache* raw = nullptr;
  int rc = nl_cache_alloc_name("route/route", &raw);
  NlCachePtr cache(raw);
  for (int family : {AF_INET, AF_INET6}) {
    if (rc < 0) break;
    NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP));
    rtmsg rtm{};
    rtm.rtm_family = static_cast<unsigned char>(family);
    rtm.rtm_table = RT_TABLE_MAIN;
    rtm.rtm_protocol = which == RouteDump::netlab_main ? k_route_protocol : RTPROT_UNSPEC;
    if (!msg || nlmsg_append(msg.get(), &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0) {
      rc = -NLE_NOMEM;
      break;
    }
    rc = dump_into(m_sock.get(), cache.get(), msg.get());
    // No main table yet (a namespace with no IPv4 route at all: ENOENT, "FIB table
    // does not exist"), or a kernel without IPv6: nothing to dump.
    if (rc == -NLE_OBJ_NOTFOUND || (family == AF_INET6 && (rc == -NLE_AF_NOSUPPORT || rc == -NLE_OPNOTSUPP))) rc = 0;
  }
  // A socket left strict would have libnl's address dumps (an rtgenmsg header) refused.
  if (setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &off, sizeof off) != 0)
    return fail("dump routes: strict checking off: " + errno_text(errno));
  if (rc < 0) return fail("dump routes: " + nl_error_text(rc));
  return cache;
}

NlExpected<int> NlSocket::ifindex(const std::string& name) {
  if (auto it = m_ifindex.find(name); it != m_ifindex.end()) return it->second;
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0)
    return std::unexpected(NlError{ENOMEM, errno_text(ENOMEM)});
  int index = 0;
  auto got = request(msg.get(), [&](nl_msg* reply) {
    nlmsghdr* h = nlmsg_hdr(reply);
    if (h->nlmsg_type == RTM_NEWLINK) index = static_cast<ifinfomsg*>(nlmsg_data(h))->ifi_index;
  });
  if (!got) return std::unexpected(got.error());
  if (index <= 0) return std::unexpected(NlError{ENODEV, errno_text(ENODEV)});
  m_ifindex.emplace(name, index);
  return index;
}

NlAddrPtr to_nl_addr(const IpAddr& a, int prefix) {
  int family = a.family == Family::v4 ? AF_INET : AF_INET6;
  NlAddrPtr out(nl_addr_build(family, a.bytes.data(), static_cast<size_t>(a.byte_len())));
  if (out) nl_addr_set_prefixlen(out.get(), prefix);
  return out;
}

std::optional<IpAddr> from_nl_addr(nl_addr* a) {
  if (!a) return std::nullopt;
  IpAddr out;
  int family = nl_addr_get_family(a);
  if (family != AF_INET && family != AF_INET6) return std::nullopt;
  out.family = family == AF_INET ? Family::v4 : Family::v6;
  size_t len = nl_addr_get_len(a);
  if (len > static_cast<size_t>(out.byte_len())) return std::nullopt;
  // A missing RTA_DST arrives as a zero-length address: the all-zero network.
  if (len > 0) std::memcpy(out.bytes.data(), nl_addr_get_binary_addr(a), len);
  return out;
}

NlAddrPtr mac_to_nl_addr(std::string_view mac) {
  unsigned char bytes[6];
  if (mac.size() != 17) return nullptr;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && mac[static_cast<size_t>(i * 3 - 1)] != ':') return nullptr;
    unsigned value = 0;
    for (int j = 0; j < 2; ++j) {
      char c = mac[static_cast<size_t>(i * 3 + j)];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return nullptr;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    bytes[i] = static_cast<unsigned char>(value);
  }
  return NlAddrPtr(nl_addr_build(AF_LLC, bytes, sizeof bytes));
}

std::string mac_string(nl_addr* a) {
  if (!a) return {};
  auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(a));
  std::string out;
  char part[4];
  for (unsigned i = 0; i < nl_addr_get_len(a); ++i) {
    std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", bytes[i]);
    out += part;
  }
  return out;
}

} // namespace netlab
