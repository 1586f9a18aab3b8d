#pragma once
// The one side-effect boundary of the engine. NetlinkKernel talks to the real
// kernel; FakeKernel (tests) keeps an Observed in memory and records calls.
#include <netlab/kernel/state.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/util/error.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace netlab {

/// Reading again a namespace read before, when events said what changed there
/// (`netlab watch`) or a plan did (the verify of `up`): the links listed are read again by index (one gone is
/// dropped) and the others kept from `base`; addresses and routes are dumped
/// again (cheap); sysctls and the NAT table are read again only when asked, else
/// kept. Dumping every link is what costs in a namespace with many veths: the
/// kernel looks up each peer's namespace id in a walk over all of them
/// (peernet2id_alloc), so a dump of the host of star-1000 takes 25 ms.
/// Implementations may read the namespace whole instead (FakeKernel does).
struct ObserveUpdate {
  const ObservedNs* base = nullptr; ///< the namespace as last read (must outlive the observe)
  std::vector<int> links;          ///< ifindexes to read again
  std::vector<std::string> names;  ///< and links to read again by name (a plan's verify knows names)
  bool sysctls = false;            ///< read the sysctls again
  bool nat = false;                ///< read the NAT table again
};

/// What observe() should read besides links, addresses and routes.
struct ObserveRequest {
  std::vector<std::string> sysctls; ///< dotted keys to read
  std::string nat_table;            ///< nft table name to read, "" for none
  bool bridge_vlans = false;        ///< read the VLANs of bridge ports (ObservedLink::vlans)
  bool qdiscs = false;              ///< read each link's root qdisc (ObservedLink::impair, ::qdisc)
  bool all_routes = false;          ///< every main-table route, not only netlab's (export)
  bool kernel_view = false;         ///< also every main-table route in ObservedNs::all_routes and link counters (live graph)
  bool nft_ruleset = false;         ///< the whole nftables ruleset as JSON (ObservedNs::nft_ruleset; export)
  std::optional<ObserveUpdate> update; ///< read only what changed since `update->base`
  /// The plan will delete this named namespace whole: read only its links (whose
  /// it is, which veth ends go with it), and close our socket there as soon as
  /// they are read (a closed socket keeps the namespace alive for an RCU grace period).
  bool let_go = false;
};

/// One namespace to read, and what to read there.
struct ObserveJob {
  NsRef ns;
  ObserveRequest what;
};

/// Kernel features beyond link kinds that a plan may need.
enum class KernelFeature { bridge_vlan_filtering };

/// Reads and writes kernel state, one namespace handle at a time.
class Kernel {
public:
  virtual ~Kernel() = default;
  /// Names in /run/netns (namespaces `ip netns list` shows).
  virtual Expected<std::vector<std::string>> list_netns() = 0;
  /// Reads one namespace; a missing named namespace is `exists == false`, not an error.
  virtual Expected<ObservedNs> observe(const NsRef& ns, const ObserveRequest& what) = 0;
  /// observe() for many namespaces: entry i answers jobs[i]; the first error wins.
  /// Implementations may read namespaces concurrently.
  virtual Expected<std::vector<ObservedNs>> observe_many(const std::vector<ObserveJob>& jobs) {
    std::vector<ObservedNs> out;
    out.reserve(jobs.size());
    for (const auto& job : jobs) {
      auto ns = observe(job.ns, job.what);
      if (!ns) return std::unexpected(ns.error());
      out.push_back(std::move(*ns));
    }
    return out;
  }
  /// Every later observe() also reads what ObserveRequest::kernel_view asks for
  /// (the live graph's whole view of each namespace); a kernel without it ignores this.
  virtual void read_kernel_view(bool /*on*/) {}
  /// The index of link `name` in `ns` now, or nothing if there is none (a quick
  /// look at one link, where observe() reads the whole namespace).
  virtual std::optional<int> link_index(const NsRef& ns, const std::string& name) {
    auto seen = observe(ns, {});
    const ObservedLink* l = seen ? seen->find_link(name) : nullptr;
    return l ? std::optional(l->ifindex) : std::nullopt;
  }
  /// Closes what the kernel object holds open in `ns` (its socket there); the
  /// next use opens it again. A closed socket keeps its namespace alive for one
  /// more RCU grace period (20-40 ms), so a namespace about to be deleted is let
  /// go as soon as that is known, for the kernel to tear it down sooner.
  virtual void let_go(const NsRef& /*ns*/) {}
  /// Performs one action. Errors name the object and carry the kernel's errno text.
  virtual Expected<void> apply(const Action& action) = 0;
  /// Performs actions none of which depends on another, possibly concurrently;
  /// entry i is the outcome of actions[i] (all are attempted).
  virtual std::vector<Expected<void>> apply_many(std::span<const Action> actions) {
    std::vector<Expected<void>> out;
    out.reserve(actions.size());
    for (const auto& a : actions) out.push_back(apply(a));
    return out;
  }
  /// Kinds of link this kernel cannot create (missing driver), with the config option.
  virtual std::vector<std::pair<LinkKind, std::string>> unsupported(const std::vector<LinkKind>& kinds) = 0;
  /// Features of `wanted` this kernel lacks, with the config option (default: it has them all).
  virtual std::vector<std::pair<KernelFeature, std::string>> missing_features(const std::vector<KernelFeature>& wanted) {
    (void)wanted;
    return {};
  }
  /// Qdisc kinds ("tbf", "netem") this kernel lacks, with the config option.
  /// The default knows of no missing ones; the netlink kernel probes.
  virtual std::vector<std::pair<std::string, std::string>> unsupported_qdiscs(const std::vector<std::string>& kinds) {
    (void)kinds;
    return {};
  }
};

/// The real kernel over netlink (libnl), /proc/sys and libnftables.
std::unique_ptr<Kernel> make_netlink_kernel();

} // namespace netlab
