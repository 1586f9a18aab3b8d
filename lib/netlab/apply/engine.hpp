#pragma once
// The reconcile loop behind up / plan / status / down:
// observe -> diff -> (check) -> apply -> verify. Commands call these and print.
#include <netlab/apply/apply.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/diff.hpp>
#include <netlab/plan/lab_state.hpp>
#include <netlab/topology/model.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace netlab {

/// Reads every namespace diff needs for `want` (plus what `memory` says the lab touched).
Expected<Observed> observe_lab(Kernel& kernel, const Topology& want, const LabState& memory);

/// observe_lab for only the nodes named in `nodes` (all of them when null): what a
/// watcher re-reads when events say those namespaces changed. A node in `updates`
/// is read only as far as its ObserveUpdate says.
Expected<Observed> observe_nodes(Kernel& kernel, const Topology& want, const LabState& memory,
                                 const std::set<std::string>* nodes,
                                 const std::map<std::string, ObserveUpdate>* updates = nullptr);

/// observe_nodes with the targets (observe_targets) already worked out: a watcher
/// keeps them between events. `lab`: the lab's name (its NAT table's). `going`:
/// nodes whose namespaces the plan will delete (ObserveRequest::let_go).
Expected<Observed> observe_targets_of(Kernel& kernel, const std::string& lab, const std::vector<ObserveTarget>& targets,
                                      const std::set<std::string>* nodes,
                                      const std::map<std::string, ObserveUpdate>* updates = nullptr,
                                      const std::unordered_set<std::string>* going = nullptr);

/// The named namespaces the lab made (`memory`) for nodes `want` no longer has:
/// a plan deletes them (all of them, for `down`).
std::vector<NsRef> namespaces_going(const Topology& want, const LabState& memory);

/// observe + diff. Fails (exit 1) naming every conflict, or a link kind or
/// qdisc (impair) the kernel lacks, before anything changes.
Expected<Plan> plan_lab(Kernel& kernel, const Topology& want, const LabState& memory);

/// What a plan changes in one node, as far as a read of the node again (after the
/// plan) can be narrowed to it.
struct PlanTouch {
  std::set<std::string> links; ///< links its actions name, and the bridges of ports added or taken away (a bridge's MTU follows its ports)
  bool sysctls = false;        ///< a sysctl set (most have no event)
  bool nat = false;            ///< its NAT table
  bool whole = false;          ///< a namespace made or deleted, a link renamed or moved: read it all
};

/// The nodes a plan changes, to read again after it, and what in each: each
/// action's node, both ends of a veth made or deleted, the node a link moves to,
/// and the nodes whose links go with a deleted namespace (plan.vanishing: no
/// action names them, yet apply waits until they are gone). The rest read the
/// same as before the plan.
std::map<std::string, PlanTouch> plan_touches(const Plan& plan);

/// Fails naming every conflict, or a link kind, kernel feature or qdisc the plan needs and the kernel lacks.
Expected<void> check_plan(Kernel& kernel, const Plan& plan);

/// The LabState to remember after `applied` (a prefix of `plan`) ran for `want`.
LabState next_lab_state(const LabState& memory, const Topology& want, const std::vector<Action>& applied);

/// What `up` (or `down`) did.
struct ReconcileReport {
  Plan plan;
  ApplyResult applied;
  std::vector<Finding> unconverged; ///< verify: what still differs afterwards
  double elapsed_ms = 0;
  std::optional<LabState> memory;   ///< what was remembered afterwards (when the run completed)
};

/// Called once with the plan, before any of it is applied (to size a progress line).
using PlanObserver = std::function<void(const Plan&)>;

/// Makes the kernel match `want`: plan, record intent in the state dir, apply
/// (undo on failure), remember, verify. `memory` is the lab's LabState
/// (load_lab_state or discover_lab). An empty `want` (no nodes) tears down.
Expected<ReconcileReport> reconcile(Kernel& kernel, const Topology& want, const LabState& memory,
                                    const StepObserver& on_step = {}, const PlanObserver& on_plan = {});

/// reconcile without its observe and verify: records intent, applies `plan` (a
/// checked diff of `want` against what was observed), waits for vanishing links,
/// remembers. For a caller that observed (and verifies) on its own: the watcher.
Expected<ReconcileReport> apply_lab(Kernel& kernel, const Topology& want, const LabState& memory, Plan plan,
                                    const StepObserver& on_step = {}, const PlanObserver& on_plan = {});

/// Host conditions that silently defeat the lab's NAT, forwarding or bridging (ip_forward
/// off, br_netfilter, a foreign forward chain with policy drop), read in every
/// existing namespace of a node with NAT, forwarding or a bridge. Each names its fix.
std::vector<std::string> preflight_warnings(const Topology& want);

/// What `down -l LAB` / `down --all` know without a file: the lab's memory
/// completed from the kernel marks (namespaces whose lo carries the tag).
Expected<LabState> discover_lab(Kernel& kernel, const std::string& lab);

/// The lab's nodes as far as it knows them: its memory plus the namespaces
/// tagged with its name (what `list` counts; discover_lab adds the host).
Expected<LabState> discover_lab_nodes(Kernel& kernel, const std::string& lab);

/// Every lab that has a state dir or a tagged namespace (lo alias) or host link.
/// Aliases "netlab:X" whose X is not a lab name are no lab: skipped, and described
/// (escaped) in `ignored` when given.
Expected<std::vector<std::string>> discover_labs(Kernel& kernel, std::vector<std::string>* ignored = nullptr);

/// The host links tagged k_shared_tag (`shared: true`): no lab owns them and no
/// `down` deletes them, so `list` names them apart; in kernel order.
Expected<std::vector<ObservedLink>> discover_shared(Kernel& kernel);

/// Why the lab must not be worked on from the namespace netlab runs in (it is not
/// the one `up` recorded as the lab's host, LabState::host_ns_id), or nullopt.
std::optional<std::string> host_netns_problem(const LabState& memory);

} // namespace netlab
