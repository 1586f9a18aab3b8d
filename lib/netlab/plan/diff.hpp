#pragma once
// diff: the pure heart of netlab. (want, have, memory) -> ordered actions plus
// a per-object verdict. No I/O, no logging; unit-tested with hand-built values.
#include <netlab/kernel/state.hpp>
#include <netlab/plan/action.hpp>
#include <netlab/plan/lab_state.hpp>
#include <netlab/topology/model.hpp>

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace netlab {

/// One declared (or owned) object and how the kernel compares with the file.
struct Finding {
  enum class State { ok, missing, different, extra, conflict };
  State state = State::ok;
  std::string path; ///< "ns2/vethD/mtu", "host/routes/default", "ns1"
  std::string want; ///< for different / missing
  std::string have; ///< for different / extra / conflict
};

std::string_view to_string(Finding::State s);

/// A link that disappears without an action of its own: its veth peer lives in
/// a namespace the plan deletes. The kernel tears namespaces down
/// asynchronously (and in one batch), so apply waits for these to go.
struct Vanishing {
  NsRef ns;
  ObservedLink link;
};

/// What `up` would do. Non-empty `conflicts` means: refuse, change nothing.
struct Plan {
  std::vector<Action> actions;      ///< in execution order
  std::vector<Vanishing> vanishing; ///< links that go with deleted namespaces
  std::vector<Finding> findings;    ///< every object, ok included (for status)
  std::vector<std::string> conflicts;
  bool empty() const { return actions.empty(); }
};

/// Sysctl keys a node manages, including those implied by `forwarding`.
std::map<std::string, std::string> wanted_sysctls(const Node& node);

/// Whether links in the node's namespace get IPv6: Node::ipv6, else whether it has an IPv6 address or route.
bool wants_ipv6(const Node& node);
/// The kernel keeps no IPv6 state (no link-local, no sysctls) for a link below this MTU.
inline constexpr uint32_t k_ipv6_min_mtu = 1280;
/// Whether the kernel keeps IPv6 state for the link (its MTU, if the file gives one, is at least 1280).
bool has_ipv6_state(const Interface& iface);

/// Computes the plan that makes `have` match `want` for lab `want.name`.
/// `memory` is the lab's previous LabState (empty on first run). Objects owned
/// by the lab but not in `want` are deleted; objects owned by anyone else are
/// never touched: declaring one is a conflict.
Plan diff(const Topology& want, const Observed& have, const LabState& memory);

/// The part of a lab an edit of its file changed (netlab watch): only that part
/// is diffed, the rest taken as it was (converged, or drift the watcher heals on
/// its own). A 1000-namespace lab's diff took 3-4 ms of a one-address edit.
struct DiffScope {
  std::unordered_set<std::string> nodes; ///< diffed whole: added, removed, or changed beyond their interfaces
  /// Interfaces diffed (and swept) one by one, of nodes otherwise unchanged (a
  /// star's host, when a namespace and its bridge port come or go): node -> names.
  std::unordered_map<std::string, std::set<std::string>> interfaces;
};

/// What differs between `before` and `after` as DiffScope; nullopt when the
/// edit reaches beyond nodes and links (another lab, other machines): diff it whole.
std::optional<DiffScope> edit_scope(const Topology& before, const Topology& after);

/// diff(), of `scope` only (DiffScope). Its findings are the scope's.
Plan diff(const Topology& want, const Observed& have, const LabState& memory, const DiffScope& scope);

/// The kernel namespaces diff needs observed: the wanted nodes plus those the
/// lab touched before, with the sysctl keys and NAT table to read.
struct ObserveTarget {
  NsRef ref;
  std::vector<std::string> sysctls;
  bool nat = false;
  bool bridge_vlans = false; ///< some port of the node declares `vlans`
  bool qdiscs = false; ///< a link of the node is (or was) impaired
  bool all_routes = false; ///< LabState::adopt: routes not made by netlab too (a matching one is accepted)
};
std::vector<ObserveTarget> observe_targets(const Topology& want, const LabState& memory);

} // namespace netlab
