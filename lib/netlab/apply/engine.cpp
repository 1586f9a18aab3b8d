#include <netlab/apply/engine.hpp>

#include <netlab/apply/state_store.hpp>
#include <netlab/kernel/netns_tun.hpp>
#include <netlab/kernel/nft.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_set>

namespace netlab {

namespace {

std::vector<LinkKind> kinds_to_create(const Plan& plan) {
  std::set<LinkKind> kinds;
  for (const auto& a : plan.actions)
    if (const auto* c = action_if<CreateLink>(a)) kinds.insert(c->iface.kind);
  return {kinds.begin(), kinds.end()};
}

/// Bridges whose VLAN filtering the plan turns on ("node:bridge"): they need KernelFeature::bridge_vlan_filtering.
std::vector<std::string> bridges_turning_on_vlan_filtering(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions)
    if (const auto* o = action_if<SetLinkOptions>(a))
      if (o->want.bridge && o->want.bridge->vlan_filtering && !(o->old.bridge && o->old.bridge->vlan_filtering))
        out.push_back(o->ns.node + ":" + o->want.name);
  return out;
}

/// tun/tap owners named in the file but unknown on this machine: found before any change.
std::vector<std::string> unknown_tun_owners(const Plan& plan) {
  std::vector<std::string> out;
  auto check = [&](const NsRef& ns, const Interface& i) {
    if ((i.kind != LinkKind::tun && i.kind != LinkKind::tap) || !i.tun) return;
    if (auto ok = check_tun_owner(*i.tun); !ok)
      out.push_back(std::string(to_string(i.kind)) + " " + ns.node + ":" + i.name + ": " + ok.error().message +
                    "; nothing was changed");
  };
  for (const auto& a : plan.actions) {
    if (const auto* c = action_if<CreateLink>(a)) check(c->ns, c->iface);
    if (const auto* o = action_if<SetLinkOptions>(a)) check(o->ns, o->want);
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

/// Adds every interface of `want` with an impair to `s.impaired_links`.
void remember_impaired(LabState& s, const Topology& want) {
  for (const auto& n : want.nodes)
    for (const auto& i : n.interfaces) {
      if (!i.impair) continue;
      auto& links = s.impaired_links[n.name];
      if (std::ranges::find(links, i.name) == links.end()) links.push_back(i.name);
    }
}

/// Write-ahead: what `plan` is about to change where netlab owns no namespace
/// (host, external), recorded before it changes anything: the original value of
/// every sysctl it sets (kept if already saved: the first original wins), every
/// route it adds, every link it creates (LabState::pending_links). A run killed
/// at any point leaves `down` able to restore and remove all of it.
void remember_foreign_changes(LabState& s, const std::vector<Action>& plan) {
  auto add_pending = [&](const NsRef& ns, const std::string& link) {
    auto& links = s.pending_links[ns.node];
    if (std::ranges::find(links, link) == links.end()) links.push_back(link);
  };
  for (const auto& a : plan) {
    if (const auto* set = std::get_if<SetSysctl>(&a); set && set->ns.kind != NodeKind::netns && !set->old.empty())
      s.saved_sysctls[set->ns.node].emplace(set->key, set->old);
    if (const auto* add = std::get_if<AddRoute>(&a); add && add->ns.kind != NodeKind::netns) {
      auto& routes = s.foreign_ns_routes[add->ns.node];
      if (std::ranges::find(routes, add->route) == routes.end()) routes.push_back(add->route);
    }
    if (const auto* c = action_if<CreateLink>(a)) {
      if (c->ns.kind != NodeKind::netns) add_pending(c->ns, c->iface.name);
      if (c->peer_ns && c->peer && c->peer_ns->kind != NodeKind::netns) add_pending(*c->peer_ns, c->peer->name);
    }
  }
}

/// The memory written before applying: the old one plus every node about to be
/// touched and what the plan changes outside the lab's own namespaces, so a
/// crash mid-run still leaves `down` able to find and restore everything.
LabState intent_state(const LabState& memory, const Topology& want, const std::vector<Action>& plan) {
  LabState s = memory;
  s.lab = want.name;
  s.machine = want.part_of;
  if (!want.source_path.empty()) s.source_path = want.source_path;
  // Sets of names, not finds in the lists: at 10,000 nodes those were quadratic.
  std::unordered_set<std::string> known, nat(s.nat_nodes.begin(), s.nat_nodes.end()),
      off(s.ipv6_off.begin(), s.ipv6_off.end());
  for (const auto& r : s.nodes) known.insert(r.node);
  for (const auto& n : want.nodes)
    if (known.insert(n.name).second) s.nodes.push_back(ns_ref_for(n));
  for (const auto& n : want.nodes)
    if (!n.nat.empty() && nat.insert(n.name).second) s.nat_nodes.push_back(n.name);
  // Off in either run: a crash half-way leaves the next run switching it again, which is harmless.
  for (const auto& n : want.nodes)
    if (n.kind == NodeKind::netns && !wants_ipv6(n) && off.insert(n.name).second) s.ipv6_off.push_back(n.name);
  remember_impaired(s, want);
  remember_foreign_changes(s, plan);
  return s;
}

/// Records which namespace each external node's path names when the lab first
/// uses it, so a later run can tell when the path has come to name another one
/// (a pid reused, a namespace deleted and made again) and leave that one alone.
/// A recorded id is kept: diff refuses to work in a namespace that differs from it.
LabState with_external_ids(Kernel& kernel, LabState s, const LabState& memory) {
  for (auto& ref : s.nodes) {
    if (ref.kind != NodeKind::external) continue;
    const NsRef* old = memory.find_node(ref.node);
    if (old && old->path == ref.path && old->ns_id) {
      ref.ns_id = old->ns_id;
      continue;
    }
    auto seen = kernel.observe(NsRef{ref.node, ref.kind, ref.path}, {});
    ref.ns_id = seen && seen->exists ? seen->ns_id : 0;
  }
  return s;
}

/// Up to this many links still to vanish are asked for one by one rather than
/// by reading their namespaces whole.
constexpr std::size_t k_vanishing_asked_one_by_one = 16;

/// Waits until the links that go with deleted namespaces are gone (the kernel
/// removes them in a batch, asynchronously), so a run returns only when the
/// kernel shows its result. Stragglers after the deadline are deleted one by one.
void await_vanishing(Kernel& kernel, const std::vector<Vanishing>& links) {
  using namespace std::chrono_literals;
  std::vector<Vanishing> pending = links;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pending.empty()) {
    // The kernel cleans up deleted namespaces in order, in batches: while the
    // link of the last one is still there, reading whole namespaces (a dump of
    // every host link, each time) would only take CPU from that cleanup. (The
    // last link is a guess at the last namespace to go; a wrong guess only
    // costs full reads sooner.)
    const Vanishing& last = pending.back();
    if (auto index = kernel.link_index(last.ns, last.link.name);
        index == last.link.ifindex && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    if (pending.size() <= k_vanishing_asked_one_by_one) {
      // A watcher's edit removed a node or two: a read of the whole host (1000
      // veths, while the kernel's cleanup holds RTNL) took 30 ms, asking for each link 0.1.
      std::erase_if(pending, [&](const Vanishing& v) { return kernel.link_index(v.ns, v.link.name) != v.link.ifindex; });
    } else {
      std::map<std::string, ObservedNs> seen;
      for (const auto& v : pending)
        if (!seen.contains(v.ns.node))
          if (auto ns = kernel.observe(v.ns, {})) seen.emplace(v.ns.node, std::move(*ns));
      std::erase_if(pending, [&](const Vanishing& v) {
        auto it = seen.find(v.ns.node);
        const ObservedLink* l = it == seen.end() ? nullptr : it->second.find_link(v.link.name);
        return !l || l->ifindex != v.link.ifindex;
      });
    }
    if (pending.empty()) return;
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& v : pending) (void)kernel.apply(DeleteLink{v.ns, v.link, {}, {}});
}

/// `s` stamped with the namespace this run calls host.
LabState with_host_id(LabState s) {
  s.host_ns_id = current_netns_id();
  return s;
}

Expected<void> restore_memory(const LabState& memory) {
  if (memory.nodes.empty()) return remove_lab_state(memory.lab);
  return save_lab_state(memory);
}

} // namespace

Expected<Observed> observe_lab(Kernel& kernel, const Topology& want, const LabState& memory) {
  return observe_nodes(kernel, want, memory, nullptr);
}

Expected<Observed> observe_nodes(Kernel& kernel, const Topology& want, const LabState& memory,
                                 const std::set<std::string>* nodes,
                                 const std::map<std::string, ObserveUpdate>* updates) {
  // The namespaces the plan will delete (all of them, for `down`): our socket
  // in one, once closed, keeps it alive for an RCU grace period (20-40 ms),
  // which the deletion waited for. They are read first and let go at once:
  // that time passes while the rest is read.
  std::unordered_set<std::string> going;
  for (const auto& ref : namespaces_going(want, memory)) going.insert(ref.node);
  return observe_targets_of(kernel, want.name, observe_targets(want, memory), nodes, updates, &going);
}

std::vector<NsRef> namespaces_going(const Topology& want, const LabState& memory) {
  std::unordered_set<std::string_view> wanted;
  for (const auto& n : want.nodes) wanted.insert(n.name);
  std::vector<NsRef> out;
  for (const auto& r : memory.nodes)
    if (r.kind == NodeKind::netns && !wanted.contains(r.node)) out.push_back(r);
  return out;
}

Expected<Observed> observe_targets_of(Kernel& kernel, const std::string& lab, const std::vector<ObserveTarget>& targets,
                                      const std::set<std::string>* nodes,
                                      const std::map<std::string, ObserveUpdate>* updates,
                                      const std::unordered_set<std::string>* going) {
  const std::string table = nat_table_name(lab);
  std::vector<ObserveJob> jobs;
  jobs.reserve(targets.size()); // 200 bytes each, held while every namespace is read
  for (const auto& t : targets) {
    if (nodes && !nodes->contains(t.ref.node)) continue;
    ObserveRequest what{t.sysctls, t.nat ? table : std::string(), t.bridge_vlans, t.qdiscs, t.all_routes, false, false,
                        std::nullopt};
    if (updates)
      if (auto u = updates->find(t.ref.node); u != updates->end()) what.update = u->second;
    what.let_go = going && going->contains(t.ref.node);
    jobs.push_back(ObserveJob{t.ref, std::move(what)});
  }
  // Readers take jobs in order. The host first: the longest read (a dump of its
  // every veth walks all namespace ids for each, 25 ms at 1000), done on one
  // reader while the other reads namespaces; it came last, alone. Then those
  // let go: the longer before their deletion, the better.
  std::ranges::stable_partition(jobs, [](const ObserveJob& j) { return j.what.let_go; });
  std::ranges::stable_partition(jobs, [](const ObserveJob& j) { return j.ns.kind == NodeKind::host; });
  auto seen = kernel.observe_many(jobs);
  if (!seen) return std::unexpected(seen.error());
  Observed out;
  for (size_t i = 0; i < jobs.size(); ++i) out.nodes.emplace(jobs[i].ns.node, std::move((*seen)[i]));
  return out;
}

Expected<Plan> plan_lab(Kernel& kernel, const Topology& want, const LabState& memory) {
  auto have = observe_lab(kernel, want, memory);
  if (!have) return std::unexpected(have.error());
  Plan plan = diff(want, *have, memory);
  if (auto ok = check_plan(kernel, plan); !ok) return std::unexpected(ok.error());
  return plan;
}

Expected<void> check_plan(Kernel& kernel, const Plan& plan) {
  if (!plan.conflicts.empty()) return fail(join_lines(plan.conflicts));
  std::vector<std::string> missing;
  for (const auto& [kind, option] : kernel.unsupported(kinds_to_create(plan)))
    missing.push_back("interface kind '" + std::string(to_string(kind)) +
                      "' is not supported by this kernel (needs " + option + "); nothing was changed");
  for (auto& owner : unknown_tun_owners(plan)) missing.push_back(std::move(owner));
  if (auto bridges = bridges_turning_on_vlan_filtering(plan); !bridges.empty())
    for (const auto& [feature, option] : kernel.missing_features({KernelFeature::bridge_vlan_filtering}))
      for (const auto& b : bridges)
        missing.push_back("bridge " + b + " vlan_filtering needs " + option + ", which this kernel lacks; nothing was changed");
  if (!missing.empty()) return fail(join_lines(missing));
  if (auto qdiscs = qdiscs_needed(plan.actions); !qdiscs.empty())
    if (auto problems = missing_qdisc_problems(plan.actions, kernel.unsupported_qdiscs(qdiscs)); !problems.empty())
      return fail(join_lines(problems));
  return {};
}

LabState next_lab_state(const LabState& memory, const Topology& want, const std::vector<Action>& applied) {
  LabState s;
  s.lab = want.name;
  s.machine = want.part_of;
  s.source_path = want.source_path.empty() ? memory.source_path : want.source_path;
  for (const auto& n : want.nodes) s.nodes.push_back(ns_ref_for(n));
  for (const auto& n : want.nodes)
    if (!n.nat.empty()) s.nat_nodes.push_back(n.name);
  for (const auto& n : want.nodes)
    if (n.kind == NodeKind::netns && !wants_ipv6(n)) s.ipv6_off.push_back(n.name);
  remember_impaired(s, want);
  // Original values survive as long as the node still manages the key.
  for (const auto& n : want.nodes) {
    if (n.kind == NodeKind::netns) continue;
    auto wanted = wanted_sysctls(n);
    if (auto it = memory.saved_sysctls.find(n.name); it != memory.saved_sysctls.end())
      for (const auto& [k, v] : it->second)
        if (wanted.contains(k)) s.saved_sysctls[n.name][k] = v;
    for (const auto& r : n.routes)
      s.foreign_ns_routes[n.name].push_back(
          ObservedRoute{r.to, r.via, r.dev, r.metric.value_or(r.to.addr.family == Family::v6 ? 1024u : 0u),
                        k_route_protocol});
  }
  for (const auto& a : applied) {
    const auto* set = std::get_if<SetSysctl>(&a);
    if (!set || set->ns.kind == NodeKind::netns || set->old.empty()) continue;
    const Node* n = want.find_node(set->ns.node);
    if (n && wanted_sysctls(*n).contains(set->key)) s.saved_sysctls[set->ns.node].emplace(set->key, set->old);
  }
  return s;
}

std::map<std::string, PlanTouch> plan_touches(const Plan& plan) {
  std::map<std::string, PlanTouch> out;
  auto link = [&](const NsRef& ns, const std::string& name) { out[ns.node].links.insert(name); };
  for (const auto& a : plan.actions) {
    const NsRef& ns = action_ns(a);
    PlanTouch& t = out[ns.node];
    std::visit(
        [&]<class T>(const T& x) {
          using A = std::remove_cvref_t<T>;
          if constexpr (std::is_same_v<A, Boxed<CreateLink>>) {
            const CreateLink& c = x.get();
            link(c.ns, c.iface.name);
            if (c.master) link(c.ns, *c.master);
            if (c.peer_ns) out[c.peer_ns->node];
            if (c.peer_ns && c.peer) link(*c.peer_ns, c.peer->name);
            if (c.peer_ns && c.other_master) link(*c.peer_ns, *c.other_master);
          } else if constexpr (std::is_same_v<A, Boxed<DeleteLink>>) {
            const DeleteLink& d = x.get();
            link(d.ns, d.was.name);
            if (d.was.master) link(d.ns, *d.was.master);
            if (d.peer_ns) out[d.peer_ns->node];
            if (d.peer_ns && d.peer_was) link(*d.peer_ns, d.peer_was->name);
            if (d.peer_ns && d.peer_was && d.peer_was->master) link(*d.peer_ns, *d.peer_was->master);
          } else if constexpr (std::is_same_v<A, Boxed<SetLinkOptions>>) {
            link(ns, x.get().want.name);
          } else if constexpr (std::is_same_v<A, SetMaster>) {
            link(ns, x.link);
            if (x.master) link(ns, *x.master);
            if (x.old) link(ns, *x.old);
          } else if constexpr (std::is_same_v<A, MoveLink> || std::is_same_v<A, RenameLink> ||
                               std::is_same_v<A, CreateNetns> || std::is_same_v<A, DeleteNetns>) {
            t.whole = true;
            if constexpr (std::is_same_v<A, MoveLink>) out[x.to.node].whole = true;
          } else if constexpr (std::is_same_v<A, SetSysctl>) {
            t.sysctls = true;
          } else if constexpr (std::is_same_v<A, SetNat>) {
            t.nat = true;
          } else if constexpr (requires { x.link; }) {
            link(ns, x.link);
          }
        },
        a);
  }
  for (const auto& v : plan.vanishing) link(v.ns, v.link.name);
  return out;
}

Expected<ReconcileReport> reconcile(Kernel& kernel, const Topology& want, const LabState& memory,
                                    const StepObserver& on_step, const PlanObserver& on_plan) {
  auto start = std::chrono::steady_clock::now();
  auto have = observe_lab(kernel, want, memory);
  if (!have) return std::unexpected(have.error());
  Plan plan = diff(want, *have, memory);
  if (auto ok = check_plan(kernel, plan); !ok) return std::unexpected(ok.error());
  auto report = apply_lab(kernel, want, memory, std::move(plan), on_step, on_plan);
  if (!report) return report;
  if (report->applied.ok() && !report->plan.empty() && report->memory) {
    // Verify: read again what the plan touched, and whatever the new memory adds
    // to read; the rest of the lab was read moments ago, and a second full read
    // doubled the cost of a one-namespace edit of a 1000-namespace lab.
    // In a node read before, only the links the plan names (a dump of the host's
    // every link costs the kernel a walk over all namespace ids per veth).
    std::set<std::string> again;
    std::map<std::string, ObserveUpdate> updates;
    for (const auto& [node, t] : plan_touches(report->plan)) {
      again.insert(node);
      auto known = have->nodes.find(node);
      if (t.whole || known == have->nodes.end() || !known->second.exists) continue;
      updates.emplace(node, ObserveUpdate{&known->second, {}, {t.links.begin(), t.links.end()}, t.sysctls, t.nat});
    }
    for (const auto& t : observe_targets(want, *report->memory))
      if (!have->nodes.contains(t.ref.node)) again.insert(t.ref.node);
    auto seen = observe_nodes(kernel, want, *report->memory, &again, &updates);
    if (!seen) return std::unexpected(seen.error());
    for (auto& [node, ns] : seen->nodes) have->nodes.insert_or_assign(node, std::move(ns));
    for (const auto& f : diff(want, *have, *report->memory).findings)
      if (f.state != Finding::State::ok) report->unconverged.push_back(f);
  }
  report->elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Expected<ReconcileReport> apply_lab(Kernel& kernel, const Topology& want, const LabState& memory, Plan plan,
                                    const StepObserver& on_step, const PlanObserver& on_plan) {
  auto start = std::chrono::steady_clock::now();
  ReconcileReport report;
  report.plan = std::move(plan);
  bool wrote = false; // the state file says something else than `memory` now
  if (!report.plan.empty()) {
    if (stop_requested()) { // interrupted while planning: nothing changed
      report.applied.interrupted = stop_signal();
      report.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      return report;
    }
    // Saved only when it says more than `memory` (the lab's memory as saved): a
    // watcher's repair of a 1000-node lab changes nothing in it, and wrote it twice.
    LabState intent = with_host_id(with_external_ids(kernel, intent_state(memory, want, report.plan.actions), memory));
    if (intent != memory) {
      if (auto r = save_lab_state(intent); !r) return std::unexpected(r.error());
      wrote = true;
    }
    if (on_plan) on_plan(report.plan);
    report.applied = apply_plan(kernel, report.plan.actions, on_step);
    if (!report.applied.ok()) {
      // Undone completely: the memory before this run is true again. Else the
      // intent (a superset) stays, for the next up/down to converge from.
      if (wrote && report.applied.undo_errors.empty() && !report.applied.undo_stopped) (void)restore_memory(memory);
      report.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      return report;
    }
    await_vanishing(kernel, report.plan.vanishing);
  }
  LabState next = with_host_id(with_external_ids(kernel, next_lab_state(memory, want, report.plan.actions), memory));
  auto saved = next.nodes.empty()              ? remove_lab_state(want.name)
               : !wrote && next == memory ? Expected<void>{}
                                          : save_lab_state(next);
  if (!saved) return std::unexpected(saved.error());
  report.memory = std::move(next);
  report.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::vector<std::string> preflight_warnings(const Topology& want) {
  std::vector<std::string> out;
  for (const auto& node : want.nodes) {
    // A bridge alone is enough: with br_netfilter its frames cross the forward
    // hook, and a DROP policy there (Docker's) drops them between ports.
    const bool bridge = std::ranges::any_of(node.interfaces, [](const Interface& i) { return i.kind == LinkKind::bridge; });
    if (node.nat.empty() && node.forwarding != true && !bridge) continue;
    auto fd = open_netns(ns_ref_for(node));
    if (!fd) continue; // created by this run: nothing foreign in it yet
    (void)run_in_netns(fd->get(), [&]() -> Expected<void> {
      for (auto& w : nat_preflight_warnings(node)) out.push_back(std::move(w));
      return {};
    });
  }
  return out;
}

Expected<LabState> discover_lab(Kernel& kernel, const std::string& lab) {
  auto memory = discover_lab_nodes(kernel, lab);
  if (!memory) return memory;
  // Host links may carry the lab's tag even when the lab never named the host.
  if (!std::ranges::any_of(memory->nodes, [](const NsRef& r) { return r.kind == NodeKind::host; }))
    memory->nodes.push_back(NsRef{"host", NodeKind::host, {}});
  if (std::ranges::find(memory->nat_nodes, "host") == memory->nat_nodes.end()) memory->nat_nodes.push_back("host");
  return memory;
}

Expected<LabState> discover_lab_nodes(Kernel& kernel, const std::string& lab) {
  auto memory = load_lab_state(lab);
  if (!memory) return std::unexpected(memory.error());
  auto names = kernel.list_netns();
  if (!names) return std::unexpected(names.error());
  const std::string tag = owner_tag(lab);
  std::unordered_set<std::string> known;
  for (const auto& r : memory->nodes) known.insert(r.node);
  for (const auto& name : *names) {
    if (known.contains(name)) continue;
    NsRef ref{name, NodeKind::netns, std::string(k_netns_dir) + "/" + name};
    auto ns = kernel.observe(ref, {});
    if (ns && ns->exists && ns->owner == tag) memory->nodes.push_back(ref);
  }
  return memory;
}

std::optional<std::string> host_netns_problem(const LabState& memory) {
  if (memory.host_ns_id == 0 || memory.host_ns_id == current_netns_id()) return std::nullopt;
  return "lab '" + memory.lab + "' was brought up from another network namespace than the one netlab runs in now " +
         "(inside one of its nodes?); run netlab where `up` ran, or pass --host-netns to make this namespace the " +
         "lab's host";
}

Expected<std::vector<std::string>> discover_labs(Kernel& kernel, std::vector<std::string>* ignored) {
  std::set<std::string> labs;
  for (const auto& l : list_lab_states()) labs.insert(l);
  // An alias anyone with CAP_NET_ADMIN in a namespace can set: a lab only if it passes the file's rule.
  auto consider = [&](const std::string& alias, const std::string& where) {
    if (!alias.starts_with(k_owner_prefix)) return;
    std::string lab = alias.substr(k_owner_prefix.size());
    if (!lab_name_problem(lab))
      labs.insert(lab);
    else if (ignored)
      ignored->push_back("ignored alias '" + escape_for_terminal(alias) + "' on " + where + ": not a lab name");
  };
  auto names = kernel.list_netns();
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    auto ns = kernel.observe(NsRef{name, NodeKind::netns, std::string(k_netns_dir) + "/" + name}, {});
    if (ns && ns->exists) consider(ns->owner, "lo of namespace '" + escape_for_terminal(name) + "'");
  }
  auto host = kernel.observe(NsRef{"host", NodeKind::host, {}}, {});
  if (host)
    for (const auto& l : host->links)
      consider(l.alias, "host link '" + escape_for_terminal(l.name) + "'");
  return std::vector<std::string>(labs.begin(), labs.end());
}

Expected<std::vector<ObservedLink>> discover_shared(Kernel& kernel) {
  auto host = kernel.observe(NsRef{"host", NodeKind::host, {}}, {});
  if (!host) return std::unexpected(host.error());
  std::vector<ObservedLink> out;
  for (const auto& l : host->links)
    if (l.alias == k_shared_tag) out.push_back(l);
  return out;
}

} // namespace netlab
