#include <netlab/check/peer.hpp>
#include <netlab/util/netns.hpp>

#include <cerrno>
#include <cstring>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <vector>

namespace netlab {

namespace {

/// One rtnetlink request, built attribute by attribute.
class NlRequest {
public:
  NlRequest(uint16_t type, const void* body, std::size_t body_len) : m_buf(NLMSG_SPACE(body_len)) {
    auto* h = reinterpret_cast<nlmsghdr*>(m_buf.data());
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST;
    std::memcpy(NLMSG_DATA(h), body, body_len);
  }
  void attr(uint16_t type, const void* data, std::size_t len) {
    std::size_t at = m_buf.size();
    m_buf.resize(at + RTA_SPACE(len));
    auto* a = reinterpret_cast<rtattr*>(m_buf.data() + at);
    a->rta_type = type;
    a->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(a), data, len);
  }
  /// Sends the request on a socket of the calling thread's namespace; the reply message.
  Expected<std::vector<char>> call() {
    reinterpret_cast<nlmsghdr*>(m_buf.data())->nlmsg_len = static_cast<uint32_t>(m_buf.size());
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) return fail("netlink socket: " + errno_text(errno));
    if (::send(fd.get(), m_buf.data(), m_buf.size(), 0) < 0) return fail("netlink send: " + errno_text(errno));
    std::vector<char> reply(65536);
    ssize_t n = ::recv(fd.get(), reply.data(), reply.size(), 0);
    if (n < 0) return fail("netlink recv: " + errno_text(errno));
    auto* h = reinterpret_cast<nlmsghdr*>(reply.data());
    if (!NLMSG_OK(h, static_cast<unsigned>(n))) return fail("netlink: short reply");
    if (h->nlmsg_type == NLMSG_ERROR) {
      int err = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      return fail(errno_text(err ? err : EPROTO));
    }
    reply.resize(h->nlmsg_len);
    return reply;
  }

private:
  std::vector<char> m_buf;
};

/// What RTM_GETLINK says of one interface.
struct LinkFacts {
  int ifindex = 0;
  std::string name;
  std::string kind; ///< IFLA_INFO_KIND, "" for none
  int iflink = 0;
  std::optional<int32_t> netnsid;
};

void read_linkinfo(const rtattr* info, LinkFacts& out) {
  int len = RTA_PAYLOAD(info);
  for (auto* a = static_cast<const rtattr*>(RTA_DATA(info)); RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == IFLA_INFO_KIND) out.kind = static_cast<const char*>(RTA_DATA(a));
}

/// One interface of the calling thread's namespace, by name or (name empty) by ifindex.
Expected<LinkFacts> link_facts(const std::string& name, int ifindex = 0) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = name.empty() ? ifindex : 0;
  NlRequest req(RTM_GETLINK, &ifi, sizeof ifi);
  if (!name.empty()) req.attr(IFLA_IFNAME, name.c_str(), name.size() + 1);
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  req.attr(IFLA_EXT_MASK, &mask, sizeof mask);
  auto reply = req.call();
  if (!reply) return std::unexpected(reply.error());
  auto* h = reinterpret_cast<nlmsghdr*>(reply->data());
  auto* msg = static_cast<ifinfomsg*>(NLMSG_DATA(h));
  LinkFacts out;
  out.ifindex = msg->ifi_index;
  int len = IFLA_PAYLOAD(h);
  for (auto* a = IFLA_RTA(msg); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_IFNAME) out.name = static_cast<const char*>(RTA_DATA(a));
    if (a->rta_type == IFLA_LINK) out.iflink = *static_cast<const int*>(RTA_DATA(a));
    if (a->rta_type == IFLA_LINK_NETNSID) out.netnsid = *static_cast<const int32_t*>(RTA_DATA(a));
    if (a->rta_type == IFLA_LINKINFO) read_linkinfo(a, out);
  }
  return out;
}

/// The id the calling thread's namespace gives the namespace `fd` (what
/// `ip netns list-id` lists); unset when it has given it none.
std::optional<int32_t> nsid_of(int fd) {
  rtgenmsg g{};
  g.rtgen_family = AF_UNSPEC;
  NlRequest req(RTM_GETNSID, &g, sizeof g);
  uint32_t fd32 = static_cast<uint32_t>(fd);
  req.attr(NETNSA_FD, &fd32, sizeof fd32);
  auto reply = req.call();
  if (!reply) return std::nullopt;
  auto* h = reinterpret_cast<nlmsghdr*>(reply->data());
  int len = static_cast<int>(h->nlmsg_len) - static_cast<int>(NLMSG_SPACE(sizeof(rtgenmsg)));
  auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(NLMSG_DATA(h)) + NLMSG_ALIGN(sizeof(rtgenmsg)));
  for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type != NETNSA_NSID) continue;
    int32_t id = *static_cast<const int32_t*>(RTA_DATA(a));
    if (id >= 0) return id;
  }
  return std::nullopt;
}

/// The name of interface `ifindex` in namespace `fd`.
Expected<std::string> name_in(int fd, int ifindex) {
  std::string name;
  auto r = run_in_netns(fd, [&]() -> Expected<void> {
    auto facts = link_facts("", ifindex);
    if (!facts) return std::unexpected(facts.error());
    name = facts->name;
    return {};
  });
  if (!r) return std::unexpected(r.error());
  return name;
}

} // namespace

std::string VethPeer::evidence(const std::string& iface) const {
  std::string out = iface + "@if" + std::to_string(iflink);
  out += netnsid ? ", link-netnsid " + std::to_string(*netnsid) : ", no link-netnsid (same namespace)";
  if (end) out += netnsid ? " = " + end->node : "";
  else out += " = no node of the lab";
  return out;
}

Expected<VethPeer> find_veth_peer(const Topology& topo, const Node& node, const std::string& iface) {
  auto from_fd = open_netns(ns_ref_for(node));
  if (!from_fd) return std::unexpected(from_fd.error());
  // Every other node's namespace, opened here so their fds can be named from inside `node`'s.
  std::vector<std::pair<const Node*, UniqueFd>> others;
  for (const Node& n : topo.nodes)
    if (&n != &node)
      if (auto fd = open_netns(ns_ref_for(n))) others.emplace_back(&n, std::move(*fd));
  LinkFacts facts;
  const Node* peer_node = nullptr;
  auto looked = run_in_netns(from_fd->get(), [&]() -> Expected<void> {
    auto f = link_facts(iface);
    if (!f) return fail(node.name + " has no interface " + iface + " (" + f.error().message + ")");
    facts = *f;
    if (facts.kind != "veth")
      return fail(node.name + ":" + iface + " is " + (facts.kind.empty() ? "not a veth" : "a " + facts.kind + ", not a veth"));
    if (!facts.netnsid) peer_node = &node;
    for (const auto& [n, fd] : others)
      if (facts.netnsid && !peer_node && nsid_of(fd.get()) == facts.netnsid) peer_node = n;
    return {};
  });
  if (!looked) return std::unexpected(looked.error());
  VethPeer peer{facts.iflink, facts.netnsid, std::nullopt};
  if (!peer_node) return peer;
  int peer_fd = from_fd->get();
  for (const auto& [n, fd] : others)
    if (n == peer_node) peer_fd = fd.get();
  auto name = name_in(peer_fd, facts.iflink);
  if (!name) return fail("the peer of " + node.name + ":" + iface + " (ifindex " + std::to_string(facts.iflink) +
                         " in " + peer_node->name + "): " + name.error().message);
  peer.end = Endpoint{peer_node->name, *name};
  return peer;
}

ProbeResult probe_peer(const Topology& topo, const Check& check) {
  const Node* from = topo.find_node(check.from);
  if (!from) return {ProbeOutcome::error, std::nullopt, "no node '" + check.from + "'"};
  auto peer = find_veth_peer(topo, *from, check.iface);
  if (!peer) return {ProbeOutcome::error, std::nullopt, peer.error().message};
  std::string how = peer->evidence(check.iface);
  if (peer->end && *peer->end == check.peer_is) return {ProbeOutcome::ok, std::nullopt, how};
  std::string where = peer->end ? peer->end->str() : "outside the lab";
  return {ProbeOutcome::mismatch, std::nullopt, "its peer is " + where + " (" + how + ")"};
}

} // namespace netlab
