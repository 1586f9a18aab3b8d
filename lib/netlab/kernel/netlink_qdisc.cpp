#include <netlab/kernel/netlink_qdisc.hpp>

#include <netlab/plan/impair.hpp>

#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <cerrno>
#include <linux/pkt_sched.h>
#include <map>
#include <utility>

namespace netlab {

namespace {

constexpr uint32_t major_handle(uint32_t major) {
  return major << 16;
}

const uint32_t k_netem_class = major_handle(k_netem_root_major) | 1; ///< where netem's tbf child hangs

NlExpected<void> send_qdisc(NlSocket& sock, rtnl_qdisc* q, bool add) {
  nl_msg* raw = nullptr;
  int rc = add ? rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &raw)
               : rtnl_qdisc_build_delete_request(q, &raw);
  NlMsgPtr msg(raw);
  if (rc < 0 || !msg) return std::unexpected(NlError{0, nl_error_text(rc < 0 ? rc : -NLE_NOMEM)});
  return sock.request(msg.get());
}

RtnlQdiscPtr make_qdisc(int ifindex, uint32_t parent, uint32_t handle, const char* kind) {
  RtnlQdiscPtr q(rtnl_qdisc_alloc());
  if (!q) return q;
  rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(q.get()), parent);
  if (handle) rtnl_tc_set_handle(TC_CAST(q.get()), handle);
  if (kind && rtnl_tc_set_kind(TC_CAST(q.get()), kind) < 0) q.reset();
  return q;
}

/// Deletes the qdisc at `parent` (with `handle`, if not 0). Nothing there is fine:
/// the kernel says ENOENT, or EINVAL for the default root (handle 0).
NlExpected<void> delete_at(NlSocket& sock, int ifindex, uint32_t parent, uint32_t handle) {
  RtnlQdiscPtr q = make_qdisc(ifindex, parent, handle, nullptr);
  if (!q) return std::unexpected(NlError{ENOMEM, errno_text(ENOMEM)});
  auto done = send_qdisc(sock, q.get(), false);
  if (!done && (done.error().code == ENOENT || done.error().code == EINVAL)) return {};
  return done;
}

/// Adds or replaces `q` at its parent. The kernel changes a qdisc in place only
/// when the kind and handle match; another kind under our handle (made by
/// hand) answers EINVAL, so that one is deleted and the request sent again.
NlExpected<void> replace(NlSocket& sock, RtnlQdiscPtr q, int ifindex, uint32_t parent) {
  if (!q) return std::unexpected(NlError{ENOMEM, errno_text(ENOMEM)});
  auto done = send_qdisc(sock, q.get(), true);
  if (done || done.error().code != EINVAL) return done;
  if (auto gone = delete_at(sock, ifindex, parent, 0); !gone) return gone;
  return send_qdisc(sock, q.get(), true);
}

/// Qdiscs of one namespace by link: the root and everything else by parent.
struct QdiscIndex {
  std::map<int, rtnl_qdisc*> roots;
  std::map<std::pair<int, uint32_t>, rtnl_qdisc*> by_parent;
};

QdiscIndex index_qdiscs(nl_cache* cache) {
  QdiscIndex out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(o);
    int ifindex = rtnl_tc_get_ifindex(TC_CAST(q));
    uint32_t parent = rtnl_tc_get_parent(TC_CAST(q));
    // The kernel's defaults (noqueue, pfifo_fast, mq) have handle 0: no root of anyone's.
    if (parent == TC_H_ROOT && rtnl_tc_get_handle(TC_CAST(q)) != 0)
      out.roots[ifindex] = q;
    else if (parent != TC_H_ROOT)
      out.by_parent[{ifindex, parent}] = q;
  }
  return out;
}

std::string_view kind_of(rtnl_qdisc* q) {
  const char* k = rtnl_tc_get_kind(TC_CAST(q));
  return k ? k : "";
}

/// tbf's rate in bit/s; libnl hands back the kernel's u32 bytes/s as an int.
uint64_t tbf_rate_bps(rtnl_qdisc* q) {
  return static_cast<uint64_t>(static_cast<uint32_t>(rtnl_qdisc_tbf_get_rate(q))) * 8;
}

} // namespace

RtnlQdiscPtr make_tbf(int ifindex, uint32_t parent, uint32_t handle, uint64_t rate_bps, uint32_t mtu) {
  RtnlQdiscPtr q = make_qdisc(ifindex, parent, handle, "tbf");
  if (!q) return q;
  TbfShape s = tbf_shape(rate_bps, mtu);
  // libnl takes ints; tbf_shape stays below INT_MAX for the rates the format allows (16gbit).
  rtnl_qdisc_tbf_set_rate(q.get(), static_cast<int>(s.rate_bytes), static_cast<int>(s.burst_bytes), 0);
  rtnl_qdisc_tbf_set_limit(q.get(), static_cast<int>(s.limit_bytes));
  return q;
}

RtnlQdiscPtr make_netem(int ifindex, const Impairment& i) {
  RtnlQdiscPtr q = make_qdisc(ifindex, TC_H_ROOT, major_handle(k_netem_root_major), "netem");
  if (!q) return q;
  Impairment e = effective_impairment(i);
  // netem's u32 fields travel through libnl's ints: the bits arrive unchanged.
  rtnl_netem_set_limit(q.get(), static_cast<int>(e.limit_pkts.value_or(k_netem_default_limit)));
  if (e.delay_us) rtnl_netem_set_delay(q.get(), static_cast<int>(*e.delay_us));
  if (e.jitter_us) rtnl_netem_set_jitter(q.get(), static_cast<int>(*e.jitter_us));
  if (e.loss_pct) rtnl_netem_set_loss(q.get(), static_cast<int>(netem_probability(*e.loss_pct)));
  if (e.duplicate_pct) rtnl_netem_set_duplicate(q.get(), static_cast<int>(netem_probability(*e.duplicate_pct)));
  return q;
}

std::optional<Impairment> impairment_of(rtnl_qdisc* root, rtnl_qdisc* child) {
  std::string_view kind = kind_of(root);
  Impairment out;
  if (kind == "tbf") {
    out.rate_bps = tbf_rate_bps(root);
    return out;
  }
  if (kind != "netem") return std::nullopt;
  if (int us = rtnl_netem_get_delay(root); us > 0) out.delay_us = static_cast<uint32_t>(us);
  if (int us = rtnl_netem_get_jitter(root); us > 0) out.jitter_us = static_cast<uint32_t>(us);
  if (auto p = static_cast<uint32_t>(rtnl_netem_get_loss(root)); p != 0) out.loss_pct = netem_percent(p);
  if (auto p = static_cast<uint32_t>(rtnl_netem_get_duplicate(root)); p != 0) out.duplicate_pct = netem_percent(p);
  if (auto limit = static_cast<uint32_t>(rtnl_netem_get_limit(root)); limit != k_netem_default_limit)
    out.limit_pkts = limit;
  if (child && kind_of(child) == "tbf") out.rate_bps = tbf_rate_bps(child);
  return out;
}

Expected<void> read_root_qdiscs(NlSocket& sock, ObservedNs& out) {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_qdisc_alloc_cache(sock.get(), &raw); rc < 0) return fail("dump qdiscs: " + nl_error_text(rc));
  NlCachePtr cache(raw);
  QdiscIndex index = index_qdiscs(cache.get());
  for (auto& link : out.links) {
    auto root = index.roots.find(link.ifindex);
    if (root == index.roots.end()) continue;
    uint32_t klass = rtnl_tc_get_handle(TC_CAST(root->second)) | 1;
    auto child = index.by_parent.find({link.ifindex, klass});
    link.qdisc = std::string(kind_of(root->second));
    link.impair = impairment_of(root->second, child == index.by_parent.end() ? nullptr : child->second);
  }
  return {};
}

NlExpected<void> set_impairment(NlSocket& sock, const std::string& name, const std::optional<Impairment>& want,
                                uint32_t mtu) {
  auto index = sock.ifindex(name);
  if (!index) return std::unexpected(index.error());
  const Impairment w = effective_impairment(want.value_or(Impairment{}));
  if (!shapes_traffic(w)) return delete_at(sock, *index, TC_H_ROOT, 0);
  if (!needs_netem(w))
    return replace(sock, make_tbf(*index, TC_H_ROOT, major_handle(k_tbf_root_major), *w.rate_bps, mtu), *index,
                   TC_H_ROOT);
  // Replacing netem in place keeps its child; a new netem (from tbf or nothing) starts without one.
  if (auto root = replace(sock, make_netem(*index, w), *index, TC_H_ROOT); !root) return root;
  if (!w.rate_bps) return delete_at(sock, *index, k_netem_class, major_handle(k_tbf_child_major));
  return replace(sock, make_tbf(*index, k_netem_class, major_handle(k_tbf_child_major), *w.rate_bps, mtu), *index,
                 k_netem_class);
}

const char* qdisc_config_option(std::string_view kind) {
  if (kind == "tbf") return "CONFIG_NET_SCH_TBF";
  if (kind == "netem") return "CONFIG_NET_SCH_NETEM";
  if (kind == "htb") return "CONFIG_NET_SCH_HTB";
  return nullptr;
}

std::vector<std::string> probe_missing_qdiscs(NlSocket& sock, const std::vector<std::string>& kinds) {
  std::vector<std::string> missing;
  auto lo = sock.ifindex("lo");
  if (!lo) return missing; // cannot tell
  for (const auto& kind : kinds) {
    if (kind != "netem" && kind != "tbf") continue;
    Impairment probe;
    probe.delay_us = 1000;
    RtnlQdiscPtr q = kind == "netem" ? make_netem(*lo, probe) : make_tbf(*lo, TC_H_ROOT, 0, 1'000'000, 1500);
    if (!q) continue;
    // Without the driver the kernel answers "Specified qdisc kind is unknown" (ENOENT).
    auto made = send_qdisc(sock, q.get(), true);
    if (!made && made.error().code == ENOENT) missing.push_back(kind);
  }
  return missing;
}

} // namespace netlab
