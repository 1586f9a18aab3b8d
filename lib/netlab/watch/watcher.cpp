#include <netlab/watch/watcher.hpp>

#include <netlab/apply/state_store.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/topology/instance.hpp>
#include <netlab/topology/multihost.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/log.hpp>
#include <netlab/util/netns.hpp>
#include <netlab/watch/subscribe.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netlab {

namespace {

/// `topo` cut to machine `host`'s part (multihost.hpp), or `topo` itself for a watcher without --host.
std::expected<Topology, std::string> part_of_machine(Topology topo, const std::string& host) {
  if (host.empty()) return topo;
  auto part = for_host(topo, host);
  if (!part) return std::unexpected(part.error());
  return std::move(part->topo);
}

using Clock = std::chrono::steady_clock;

std::atomic<int> g_stop_fd{-1};
std::atomic<bool> g_stop_seen{false};

void on_watch_signal(int) {
  g_stop_seen = true;
  int fd = g_stop_fd.load();
  uint64_t one = 1;
  if (fd >= 0) (void)!::write(fd, &one, sizeof one);
}

/// Namespace key: its path, "" for the host.
std::string key_of(const NsRef& r) { return r.kind == NodeKind::host ? std::string() : r.path; }

/// Which namespace a path names now (inode of its nsfs file), 0 when none.
uint64_t ns_inode(const NsRef& r) {
  struct stat st {};
  const std::string path = r.kind == NodeKind::host ? "/proc/self/ns/net" : r.path;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

/// What a node's observation depends on besides the kernel: a changed request means read it again.
std::string signature(const ObserveTarget& t) {
  std::string s = t.ref.path + "|" + std::to_string(static_cast<int>(t.ref.kind)) + "|" + (t.nat ? "n" : "") +
                  (t.bridge_vlans ? "v" : "") + (t.qdiscs ? "q" : "");
  for (const auto& k : t.sysctls) s += "|" + k;
  return s;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

/// The nodes a plan changes (plan_touches), to read again after it. What changed
/// in them the echo of the plan's requests tells (settle), except sysctls (no
/// event for most) and what must be read whole (a namespace made or deleted).
void add_changes_of(const Plan& plan, std::map<std::string, NsChange>& out) {
  for (const auto& [node, t] : plan_touches(plan)) {
    NsChange& c = out[node];
    c.sysctls = c.sysctls || t.sysctls;
    c.all = c.all || t.whole;
  }
}

std::set<std::string> names_of(const std::map<std::string, NsChange>& nodes) {
  std::set<std::string> out;
  for (const auto& [node, change] : nodes) out.insert(node);
  return out;
}

struct Source {
  enum class Type { stop, netns_dir, file_dir, state_dir, rtnl, nft } type;
  std::string key; ///< rtnl, nft: the namespace key
};

struct Sub {
  NsSubscription sockets;
  uint64_t inode = 0;
  bool nft = false;
  std::vector<std::string> nodes;
  uint64_t rtnl_token = 0, nft_token = 0;
  bool lost = false;   ///< the kernel dropped events (ENOBUFS) since the last read_queued
  bool broken = false; ///< a read failed otherwise: subscribe again
};

} // namespace

void install_watch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_watch_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct Watcher::Impl {
  Kernel& kernel;
  Topology want;
  LabState memory;
  WatchOptions opt;
  WatchSink sink;

  Observed have;                                   ///< what the kernel holds, as last read
  mutable std::optional<std::vector<ObserveTarget>> targets_cache; ///< observe_targets(want, memory); reset when they change
  std::unordered_map<std::string, std::string> signatures; ///< node -> signature of the request it was read with
  std::map<std::string, Sub> subs;                 ///< namespace key -> subscription
  std::map<uint64_t, Source> sources;              ///< epoll token -> source
  uint64_t next_token = 16;
  UniqueFd epoll, stop_fd, netns_dir, file_dir, state_dir;
  std::string stamp;                               ///< lab_state_stamp after our last save
  std::string text;                                ///< the file's text as last applied (or refused)
  std::set<std::tuple<std::string, std::string, std::string>> reported; ///< drift told (no heal)
  Debouncer debounce{opt.quiet, opt.max_delay};
  Dirty pending;
  std::optional<Clock::time_point> retry_at, retry_t0;
  int failures = 0;
  bool told_busy = false;
  std::optional<Clock::time_point> next_resync;

  Impl(Kernel& k, Topology w, LabState m, WatchOptions o, WatchSink s)
      : kernel(k), want(std::move(w)), memory(std::move(m)), opt(std::move(o)), sink(std::move(s)) {}

  void tell(WatchEvent e) {
    if (sink) sink(e);
  }
  void tell(WatchEvent::Kind k, std::string message) {
    WatchEvent e;
    e.kind = k;
    e.message = std::move(message);
    tell(std::move(e));
  }

  const std::vector<ObserveTarget>& targets() const {
    if (!targets_cache) targets_cache = observe_targets(want, memory);
    return *targets_cache;
  }

  /// A namespace the lab touches: the nodes in it, and whether it has NAT.
  struct Wanted {
    NsRef ref;
    std::vector<std::string> nodes;
    bool nft = false;
  };
  struct WantedIndex {
    std::map<std::string, Wanted> by_key;      ///< namespace key -> what to subscribe there
    // Hashed: looked up for every node of an edit (names "n1".."n999" made
    // each ordered lookup ten memcmps of a common prefix).
    std::unordered_map<std::string, std::string> key_of; ///< node -> namespace key
    std::unordered_map<std::string, size_t> target_of;   ///< node -> its entry in targets()
  };
  mutable std::optional<WantedIndex> wanted_cache; ///< from targets(); reset with it

  const WantedIndex& wanted() const {
    if (wanted_cache) return *wanted_cache;
    WantedIndex w;
    for (const auto& t : targets()) {
      w.target_of.emplace(t.ref.node, static_cast<size_t>(&t - targets().data()));
      auto key = key_of(t.ref);
      auto& entry = w.by_key.try_emplace(key, Wanted{t.ref, {}, false}).first->second;
      entry.nodes.push_back(t.ref.node);
      entry.nft = entry.nft || t.nat;
      w.key_of.emplace(t.ref.node, std::move(key));
    }
    return *(wanted_cache = std::move(w));
  }

  /// `want` or `memory` changed: what to read and subscribe to follows.
  void lab_changed() {
    targets_cache.reset();
    wanted_cache.reset();
  }

  Expected<void> add(int fd, Source s, uint64_t token) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = token;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return fail("epoll: " + errno_text(errno));
    sources.emplace(token, std::move(s));
    return {};
  }

  void close_sub(const std::string& key) {
    auto it = subs.find(key);
    if (it == subs.end()) return;
    sources.erase(it->second.rtnl_token);
    sources.erase(it->second.nft_token);
    subs.erase(it); // closing the fds takes them out of epoll (and lets a deleted namespace go)
  }

  /// Subscribes in each namespace of `only` (all when null) that exists and is not
  /// yet subscribed (or is another namespace now); drops subscriptions of namespaces
  /// gone. Returns the nodes of the new subscriptions: no event covers their past.
  std::set<std::string> refresh_subscriptions(const std::set<std::string>* only) {
    std::set<std::string> fresh;
    const WantedIndex& w = wanted();
    for (auto it = subs.begin(); it != subs.end();) {
      auto key = (it++)->first;
      if (!w.by_key.contains(key)) close_sub(key);
    }
    // The namespaces of `only` (found by node, not by a walk over all of them), or all.
    std::set<std::string> keys;
    if (only) {
      for (const auto& n : *only)
        if (auto k = w.key_of.find(n); k != w.key_of.end()) keys.insert(k->second);
    }
    auto refresh = [&](const std::string& key, const Wanted& want_ns) {
      const uint64_t inode = ns_inode(want_ns.ref);
      auto it = subs.find(key);
      if (it != subs.end() && it->second.inode == inode && it->second.nft == want_ns.nft && inode != 0) {
        it->second.nodes = want_ns.nodes;
        return;
      }
      close_sub(key);
      if (inode == 0) return; // gone: the repair makes it, and subscribes then
      auto opened = subscribe_netns(want_ns.ref, want_ns.nft);
      if (!opened) return tell(WatchEvent::Kind::error, opened.error().message);
      Sub sub;
      sub.sockets = std::move(*opened);
      sub.inode = inode;
      sub.nft = want_ns.nft;
      sub.nodes = want_ns.nodes;
      fresh.insert(sub.nodes.begin(), sub.nodes.end());
      sub.rtnl_token = next_token++;
      if (sub.sockets.nft) sub.nft_token = next_token++;
      (void)add(sub.sockets.rtnl.get(), Source{Source::Type::rtnl, key}, sub.rtnl_token);
      if (sub.sockets.nft) (void)add(sub.sockets.nft.get(), Source{Source::Type::nft, key}, sub.nft_token);
      subs.insert_or_assign(key, std::move(sub));
    };
    if (only)
      for (const auto& key : keys) refresh(key, w.by_key.at(key));
    else
      for (const auto& [key, want_ns] : w.by_key) refresh(key, want_ns);
    return fresh;
  }

  /// Closes our sockets in the namespaces an edit will delete (namespaces_going),
  /// before its diff: a closed socket keeps its namespace alive for an RCU grace
  /// period (20-40 ms), which the edit waited for after deleting it; now it
  /// passes while the edit is planned. An edit undone subscribes and opens them again.
  void let_go_of_going() {
    for (const auto& ref : namespaces_going(want, memory)) {
      close_sub(key_of(ref));
      kernel.let_go(ref);
    }
  }

  /// Lets go of the namespaces of nodes the edited text plainly no longer names
  /// (names_gone), before it is parsed and validated: the RCU grace period our
  /// closed sockets hold a namespace for (15-20 ms) then passes while it is,
  /// not after the namespace's deletion. Returns those nodes: an edit that keeps
  /// them after all (a range made the name), or is not applied, subscribes
  /// again and reads them whole. (An instance's nodes are renamed: its file
  /// names none of them, and nothing is let go early.)
  std::vector<std::string> let_go_of_dropped(std::string_view before, std::string_view after) {
    const WantedIndex& w = wanted(); // the current model's, kept since the last edit
    auto netns_at = [&](std::string_view word) -> const ObserveTarget* {
      auto it = w.target_of.find(std::string(word));
      return it != w.target_of.end() && targets()[it->second].ref.kind == NodeKind::netns ? &targets()[it->second]
                                                                                          : nullptr;
    };
    std::vector<std::string> out;
    for (const auto& name : names_gone(before, after, [&](std::string_view word) { return netns_at(word) != nullptr; })) {
      const NsRef ref = netns_at(name)->ref;
      close_sub(key_of(ref));
      kernel.let_go(ref);
      if (log_enabled(LogLevel::debug)) log_line(LogLevel::debug, "watch: the edit names " + ref.node + " no more: let go");
      out.push_back(ref.node);
    }
    return out;
  }

  /// Closes the subscriptions in namespaces `plan` deletes: our sockets would keep
  /// them (and the veths in them) alive, and apply waits for those veths to go.
  void release_deleted(const Plan& plan) {
    for (const auto& a : plan.actions)
      if (const auto* d = std::get_if<DeleteNetns>(&a)) close_sub(key_of(d->ns));
  }

  /// Reads what the subscriptions of `nodes` have queued (the echo of our own
  /// changes) into what changed there. Called before those nodes are read again.
  void drain(std::map<std::string, NsChange>& nodes) {
    for (auto& [key, sub] : subs) {
      if (std::ranges::none_of(sub.nodes, [&](const std::string& n) { return nodes.contains(n); })) continue;
      NsChange change = read_queued(sub);
      for (const auto& n : sub.nodes)
        if (auto it = nodes.find(n); it != nodes.end()) it->second.merge(change);
    }
    std::erase_if(subs, [&](const auto& kv) { // sockets to open again (at the next refresh)
      if (!kv.second.broken) return false;
      sources.erase(kv.second.rtnl_token);
      sources.erase(kv.second.nft_token);
      return true;
    });
  }

  /// Everything queued on a subscription's sockets, as what changed (sets its
  /// `lost` and `broken`).
  static NsChange read_queued(Sub& sub) {
    std::byte buf[16384];
    NsChange change;
    sub.lost = false;
    for (int fd : {sub.sockets.rtnl.get(), sub.sockets.nft.get()}) {
      if (fd < 0) continue;
      for (long n; (n = read_datagram(fd, buf, sizeof buf)) != 0;) {
        if (n < 0) { // lost events, or a broken socket: read the namespace whole
          change.all = true;
          (n == -ENOBUFS ? sub.lost : sub.broken) = true;
          if (n != -ENOBUFS) break;
          continue;
        }
        std::span<const std::byte> d(buf, static_cast<size_t>(n));
        if (fd == sub.sockets.rtnl.get())
          change.merge(rtnl_datagram_changes(d));
        else if (nft_datagram_matters(d))
          change.nat = true;
      }
    }
    return change;
  }

  /// Reads `nodes` again (those still targets), keeping `have` and `signatures`
  /// current: only what changed in each, as far as events told it.
  Expected<void> observe(const std::map<std::string, NsChange>& changed) {
    const WantedIndex& w = wanted();
    std::set<std::string> nodes;
    std::map<std::string, ObserveUpdate> updates;
    for (const auto& [node, c] : changed) {
      auto at = w.target_of.find(node);
      if (at == w.target_of.end()) continue; // no longer the lab's
      const ObserveTarget& t = targets()[at->second];
      nodes.insert(node);
      auto sig = signature(t);
      auto known = have.nodes.find(node);
      if (!c.all && known != have.nodes.end() && known->second.exists && signatures[node] == sig)
        updates.emplace(node, ObserveUpdate{&known->second, {c.links.begin(), c.links.end()}, {}, c.sysctls, c.nat});
      signatures[node] = std::move(sig);
    }
    auto seen = observe_targets_of(kernel, want.name, targets(), &nodes, &updates);
    if (!seen) return std::unexpected(seen.error());
    for (auto& [node, ns] : seen->nodes) have.nodes.insert_or_assign(node, std::move(ns));
    std::erase_if(have.nodes, [&](const auto& kv) { return !w.target_of.contains(kv.first); });
    std::erase_if(signatures, [&](const auto& kv) { return !w.target_of.contains(kv.first); });
    return {};
  }

  std::vector<std::string> all_nodes() const {
    std::vector<std::string> out;
    for (const auto& t : targets()) out.push_back(t.ref.node);
    return out;
  }

  /// Takes the lab and global locks without waiting; nullopt when another run holds them.
  std::optional<std::pair<RunLock, RunLock>> try_lock() {
    LockWait now{std::chrono::milliseconds(0), {}};
    auto lab = RunLock::lab(want.name, LockMode::exclusive, now);
    if (!lab) return busy(lab.error().message);
    auto global = RunLock::global(now);
    if (!global) return busy(global.error().message);
    told_busy = false;
    return std::pair{std::move(*lab), std::move(*global)};
  }
  std::nullopt_t busy(const std::string& why) {
    if (!told_busy) tell(WatchEvent::Kind::note, why + "; the watcher resyncs when it is done");
    told_busy = true;
    return std::nullopt;
  }

  /// Whether another run (up, down) changed the lab since our last save: then
  /// adopt what it left (its memory, and the file copy it applied), or end when it
  /// took the lab down. Returns false when the lab is gone.
  bool adopt_other_run(Dirty& d) {
    std::string now = lab_state_stamp(want.name);
    if (now == stamp) return true;
    if (now.empty()) return false;
    auto m = load_lab_state(want.name);
    if (!m) {
      tell(WatchEvent::Kind::error, m.error().message);
      return true;
    }
    memory = std::move(*m);
    stamp = now;
    if (auto copy = load_instance(lab_topology_path(want.name), want.instance); copy && copy->name == want.name) {
      copy->source_path = want.source_path;
      if (auto part = part_of_machine(std::move(*copy), want.part_of)) want = std::move(*part);
    }
    lab_changed();
    tell(WatchEvent::Kind::note, "another run changed lab '" + want.name + "'; reading it again");
    for (auto& n : all_nodes()) d.whole(n);
    refresh_subscriptions(nullptr);
    return true;
  }

  /// Drift findings of the current `have`.
  std::vector<Finding> drift_of(const Plan& plan) const {
    std::vector<Finding> out;
    for (const auto& f : plan.findings)
      if (f.state != Finding::State::ok) out.push_back(f);
    return out;
  }

  static WatchEvent finding_event(WatchEvent::Kind k, const Finding& f) {
    WatchEvent e;
    e.kind = k;
    e.path = f.path;
    e.state = std::string(to_string(f.state));
    e.want = f.want;
    e.have = f.have;
    return e;
  }

  /// Reports drift not told before (no heal); forgets drift that went away.
  void report_drift(const std::vector<Finding>& drift) {
    decltype(reported) now;
    for (const auto& f : drift) {
      auto key = std::tuple{f.path, f.want, f.have};
      now.insert(key);
      if (!reported.contains(key)) tell(finding_event(WatchEvent::Kind::drift, f));
    }
    reported = std::move(now);
  }

  void schedule_retry(const Dirty& d, Clock::time_point t0) {
    pending.merge(d);
    if (!retry_t0) retry_t0 = t0;
    retry_at = Clock::now() + std::chrono::milliseconds(failures > 5 ? 1000 : 50 * (failures + 1));
  }

  /// After our own changes: subscribe where new, take their echo as what changed,
  /// read the changed nodes again (new subscriptions whole).
  Expected<void> settle(std::map<std::string, NsChange> touched) {
    auto names = names_of(touched);
    for (const auto& n : refresh_subscriptions(&names)) touched[n].all = true;
    drain(touched);
    return observe(touched);
  }

  /// Handles one settled burst. Returns false when the lab was taken down.
  bool flush(Dirty d, Clock::time_point t0) {
    std::optional<std::pair<RunLock, RunLock>> locks;
    if (opt.heal || d.file) {
      locks = try_lock();
      if (!locks) {
        schedule_retry(d, t0);
        return true;
      }
    }
    if (!adopt_other_run(d)) return false;
    if (d.file) edit(d, t0);
    if (!d.nodes.empty()) heal(d, t0);
    return true;
  }

  /// -v: how long each step of a repair took, from the first event.
  static void phase(const char* what, Clock::time_point t0) {
    if (log_enabled(LogLevel::debug)) log_line(LogLevel::debug, std::string("watch: ") + what + " at " + std::to_string(ms_since(t0)) + " ms");
  }

  void heal(Dirty d, Clock::time_point t0) {
    phase("locked", t0);
    auto names = names_of(d.nodes); // a namespace made again, or a socket that broke: subscribe, read whole
    for (const auto& n : refresh_subscriptions(&names)) d.whole(n);
    if (auto ok = observe(d.nodes); !ok) {
      tell(WatchEvent::Kind::error, ok.error().message);
      return schedule_retry(d, t0);
    }
    phase("observed", t0);
    Plan plan = diff(want, have, memory);
    phase("diffed", t0);
    auto drift = drift_of(plan);
    if (!opt.heal) return report_drift(drift);
    if (plan.empty()) return;
    if (auto ok = check_plan(kernel, plan); !ok) {
      report_drift(drift);
      tell(WatchEvent::Kind::error, "not repaired: " + ok.error().message);
      return;
    }
    auto touched = d.nodes;
    add_changes_of(plan, touched);
    release_deleted(plan);
    auto r = apply_lab(kernel, want, memory, std::move(plan));
    if (!r || !r->applied.ok()) {
      ++failures;
      std::string why = !r ? r.error().message
                           : "failed: " + describe(r->plan.actions[*r->applied.failed_index]) + ": " +
                                 (r->applied.error ? r->applied.error->message : "interrupted");
      stamp = lab_state_stamp(want.name); // apply_lab wrote (or restored) the memory
      tell(WatchEvent::Kind::error, "repair " + why + "; retrying");
      (void)settle(touched);
      return schedule_retry(d, t0);
    }
    phase("applied", t0);
    memory = std::move(*r->memory);
    lab_changed();
    stamp = lab_state_stamp(want.name);
    if (auto ok = settle(touched); !ok) tell(WatchEvent::Kind::error, ok.error().message);
    phase("verified", t0);
    const double ms = ms_since(t0);
    for (const auto& f : drift) {
      auto e = finding_event(WatchEvent::Kind::repair, f);
      e.ms = ms;
      tell(std::move(e));
    }
    failures = 0;
    reported.clear();
    for (const auto& f : drift_of(diff(want, have, memory)))
      tell(WatchEvent::Kind::error, "still differs after the repair: " + f.path + ": want " + f.want + ", have " + f.have);
  }

  std::string read_text() const {
    std::ifstream in(opt.file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void edit(Dirty& d, Clock::time_point t0) {
    std::string now = read_text();
    if (now == text) return;
    const auto released = let_go_of_dropped(text, now);
    text = now;
    phase("edit read", t0);
    auto raw = load_string(now, opt.file);
    phase("edit parsed", t0);
    auto keep_released = [&] { // the edit is not applied: they are the lab's still
      for (const auto& n : released) d.whole(n);
    };
    std::vector<std::string> problems;
    std::optional<Topology> next;
    if (!raw) {
      problems.push_back(raw.error().message);
    } else if (auto v = validate(*raw); !v) {
      for (const auto& diag : v.error()) problems.push_back(diag.str());
    } else if (want.instance.empty()) {
      next = std::move(*v);
    } else if (auto inst = instantiate(std::move(*v), want.instance); !inst) {
      problems.push_back(inst.error()); // the same instance of the edited file
    } else {
      next = std::move(*inst);
    }
    // A multi-host lab's watcher keeps its machine's part (--host).
    if (next) {
      if (auto part = part_of_machine(std::move(*next), want.part_of); !part) {
        problems.push_back(part.error());
        next.reset();
      } else {
        next = std::move(*part);
      }
    }
    if (!next) {
      keep_released();
      WatchEvent e;
      e.kind = WatchEvent::Kind::invalid;
      e.problems = std::move(problems);
      e.message = opt.file + ": not applied; the lab stays as it was";
      return tell(std::move(e));
    }
    if (next->name != want.name) {
      keep_released();
      return tell(WatchEvent::Kind::error, opt.file + " now names lab '" + next->name + "'; this watcher keeps lab '" +
                                               want.name + "': not applied (restart the watcher for another lab)");
    }
    next->source_path = opt.file;
    phase("edit validated", t0);
    Topology old = std::move(want);
    want = std::move(*next);
    lab_changed();
    let_go_of_going();
    // Read what the edit asks to read differently (new nodes, new sysctls or NAT), and what events dirtied.
    auto read = d.nodes;
    for (const auto& n : released)
      if (want.find_node(n)) read[n].all = true; // kept after all
    for (const auto& t : targets())
      if (auto it = signatures.find(t.ref.node); it == signatures.end() || it->second != signature(t))
        read[t.ref.node].all = true;
    auto names = names_of(read);
    for (const auto& n : refresh_subscriptions(&names)) read[n].all = true;
    drain(read);
    phase("edit subscribed", t0);
    if (auto ok = observe(read); !ok) return undo_edit(std::move(old), ok.error().message);
    phase("edit observed", t0);
    // Only what the edit changed, and what events dirtied (read above): the rest
    // of the lab is as the watcher keeps it.
    auto scope = edit_scope(old, want);
    if (scope)
      for (const auto& [n, c] : read) scope->nodes.insert(n);
    auto diff_edit = [&] { return scope ? diff(want, have, memory, *scope) : diff(want, have, memory); };
    Plan plan = diff_edit();
    phase("edit diffed", t0);
    if (auto ok = check_plan(kernel, plan); !ok) return undo_edit(std::move(old), ok.error().message);
    std::map<std::string, NsChange> touched;
    for (const auto& n : names) touched[n];
    add_changes_of(plan, touched);
    auto step = [&](const Action& a, const Expected<void>& r) {
      WatchEvent e;
      e.kind = WatchEvent::Kind::change;
      e.message = describe(a) + (r ? "" : "  FAILED: " + r.error().message);
      tell(std::move(e));
    };
    release_deleted(plan);
    auto r = apply_lab(kernel, want, memory, std::move(plan), step);
    if (!r || !r->applied.ok()) {
      std::string why = !r ? r.error().message : r->applied.error ? r->applied.error->message : "interrupted";
      stamp = lab_state_stamp(want.name);
      (void)settle(touched);
      return undo_edit(std::move(old), why + " (every change of this edit was undone)");
    }
    phase("edit applied", t0);
    if (*r->memory != memory) { // what to read follows the memory too (an address edit leaves it as it was)
      memory = std::move(*r->memory);
      lab_changed();
    }
    (void)save_lab_topology(want.name, now);
    stamp = lab_state_stamp(want.name);
    const std::set<std::string> none; // only drop the subscriptions of nodes the edit removed: settle does the rest
    for (const auto& n : refresh_subscriptions(&none)) touched[n].all = true;
    phase("edit resubscribed", t0);
    if (auto ok = settle(touched); !ok) tell(WatchEvent::Kind::error, ok.error().message);
    phase("edit verified", t0);
    WatchEvent e;
    e.kind = WatchEvent::Kind::edit;
    e.changes = r->plan.actions.size();
    e.ms = ms_since(t0);
    tell(std::move(e));
    for (const auto& f : drift_of(diff_edit()))
      tell(WatchEvent::Kind::error, "still differs after the edit: " + f.path + ": want " + f.want + ", have " + f.have);
    d.nodes.clear(); // read above
  }

  void undo_edit(Topology old, const std::string& why) {
    want = std::move(old);
    lab_changed();
    tell(WatchEvent::Kind::error, "edit not applied: " + why + "; the lab stays as it was");
    for (const auto& n : refresh_subscriptions(nullptr)) pending.whole(n);
    if (!pending.empty()) debounce.note(Clock::now());
  }

  /// Reads what the fd has; marks dirty what it concerns.
  void on_readable(const Source& s) {
    switch (s.type) {
    case Source::Type::stop: return;
    case Source::Type::netns_dir: return on_inotify(netns_dir.get(), true);
    case Source::Type::file_dir: return on_inotify(file_dir.get(), false);
    case Source::Type::state_dir: return on_state_dir();
    case Source::Type::rtnl:
    case Source::Type::nft: break;
    }
    auto it = subs.find(s.key);
    if (it == subs.end()) return;
    NsChange change = read_queued(it->second);
    if (!change.any()) return;
    if (it->second.lost)
      tell(WatchEvent::Kind::resync, (it->second.nodes.empty() ? s.key : it->second.nodes.front()) +
                                         ": events were lost (ENOBUFS); reading it again");
    for (const auto& n : it->second.nodes) pending.nodes[n].merge(change);
    if (it->second.broken) close_sub(s.key); // subscribed again when the nodes are read
    debounce.note(Clock::now());
  }

  /// The lab's state dir changed: another run wrote or removed state.json. The
  /// flush this schedules compares the stamp (adopt_other_run), so a `down` from
  /// another terminal ends the watch even when its last namespace event came
  /// before it removed the state (the order a slow machine shows).
  void on_state_dir() {
    alignas(inotify_event) char buf[4096];
    bool any = false;
    while (::read(state_dir.get(), buf, sizeof buf) > 0) any = true;
    if (any) debounce.note(Clock::now());
  }

  void on_inotify(int fd, bool netns) {
    alignas(inotify_event) char buf[8192];
    bool any = false, saved = false;
    std::vector<NsRef> refs;
    if (netns)
      for (const auto& t : targets()) refs.push_back(t.ref);
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        p += sizeof(inotify_event) + ev->len;
        std::string name = ev->len ? std::string(ev->name) : std::string();
        if (ev->mask & IN_Q_OVERFLOW) {
          for (auto& node : all_nodes()) pending.whole(node);
          pending.file = true;
          any = true;
          continue;
        }
        if (!netns) {
          if (is_topology_entry(name, opt.file)) {
            pending.file = any = true;
            // Renamed over it or closed after writing: the file is whole, no need to wait for more.
            saved = saved || (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) != 0;
          }
          continue;
        }
        auto nodes = nodes_for_netns_entry(refs, name);
        if (nodes.empty()) continue;
        // Our socket would keep a namespace deleted by hand alive (and its veths with it).
        if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
          close_sub("/run/netns/" + name);
          // The kernel's own handle too: else a `down` from another terminal
          // would wait for namespaces we keep alive.
          for (const auto& r : refs)
            if (r.path == "/run/netns/" + name) kernel.let_go(r);
        }
        for (auto& node : nodes) pending.whole(node);
        any = true;
      }
    }
    if (saved) debounce.note_complete(Clock::now());
    else if (any) debounce.note(Clock::now());
  }

  Expected<void> start() {
    epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll) return fail("epoll: " + errno_text(errno));
    stop_fd = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!stop_fd) return fail("eventfd: " + errno_text(errno));
    g_stop_fd = stop_fd.get();
    if (auto ok = add(stop_fd.get(), Source{Source::Type::stop, {}}, 1); !ok) return ok;
    ::mkdir(k_netns_dir, 0755); // so that a namespace made later is seen (ip netns does the same)
    if (auto fd = watch_directory(k_netns_dir)) {
      netns_dir = std::move(*fd);
      if (auto ok = add(netns_dir.get(), Source{Source::Type::netns_dir, {}}, 2); !ok) return ok;
    }
    auto dir = std::filesystem::path(opt.file).parent_path().string();
    auto fd = watch_directory(dir.empty() ? "." : dir);
    if (!fd) return std::unexpected(fd.error());
    file_dir = std::move(*fd);
    if (auto ok = add(file_dir.get(), Source{Source::Type::file_dir, {}}, 3); !ok) return ok;
    auto state = std::filesystem::path(lab_topology_path(want.name)).parent_path().string();
    if (auto sfd = watch_directory(state)) { // absent only if the lab went down meanwhile: the stamp says so
      state_dir = std::move(*sfd);
      if (auto ok = add(state_dir.get(), Source{Source::Type::state_dir, {}}, 4); !ok) return ok;
    }
    text = read_text();
    stamp = lab_state_stamp(want.name);
    refresh_subscriptions(nullptr); // first subscribe, then read: no change falls between
    std::map<std::string, NsChange> all;
    for (auto& n : all_nodes()) all[n].all = true;
    if (auto ok = observe(all); !ok) return ok;
    size_t namespaces = subs.size();
    tell(WatchEvent::Kind::watching, "lab '" + want.name + "': " + std::to_string(all.size()) + " nodes, " +
                                         std::to_string(namespaces) + " namespaces, and " + opt.file +
                                         (opt.heal ? "" : " (reporting only)") +
                                         "; Ctrl-C stops watching and leaves the lab up");
    // Drift that came before the subscriptions (or right after `up`): handled at once.
    pending.nodes = all;
    debounce.note(Clock::now());
    if (opt.resync_period.count() > 0) next_resync = Clock::now() + opt.resync_period;
    return {};
  }

  int timeout_ms() const {
    std::optional<Clock::time_point> t = debounce.due();
    auto earliest = [&](std::optional<Clock::time_point> o) {
      if (o && (!t || *o < *t)) t = o;
    };
    earliest(retry_at);
    earliest(next_resync);
    if (!t) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*t - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
  }

  Expected<WatchEnd> loop() {
    epoll_event events[64];
    for (;;) {
      if (g_stop_seen) return WatchEnd::stopped; // a signal before the eventfd was there
      int n = ::epoll_wait(epoll.get(), events, 64, timeout_ms());
      if (n < 0 && errno != EINTR) return fail("epoll_wait: " + errno_text(errno));
      for (int i = 0; i < n; ++i) {
        auto it = sources.find(events[i].data.u64);
        if (it == sources.end()) continue;
        if (it->second.type == Source::Type::stop) return WatchEnd::stopped;
        Source s = it->second; // on_readable may close the subscription it came from
        on_readable(s);
      }
      const auto now = Clock::now();
      if (next_resync && now >= *next_resync) {
        for (auto& node : all_nodes()) pending.whole(node);
        debounce.note(now);
        next_resync = now + opt.resync_period;
      }
      auto due = debounce.due();
      bool retry_due = retry_at && now >= *retry_at;
      if ((due && now >= *due) || retry_due) {
        auto t0 = debounce.take().value_or(now);
        if (retry_t0) t0 = std::min(t0, *retry_t0);
        retry_at.reset();
        retry_t0.reset();
        Dirty d = std::move(pending);
        pending = {};
        if (!flush(std::move(d), t0)) {
          tell(WatchEvent::Kind::stop, "lab '" + want.name + "' was taken down by another run");
          return WatchEnd::lab_down;
        }
      }
    }
  }
};

Watcher::Watcher(Kernel& kernel, Topology want, LabState memory, WatchOptions options, WatchSink sink)
    : m(std::make_unique<Impl>(kernel, std::move(want), std::move(memory), std::move(options), std::move(sink))) {}

Watcher::~Watcher() { g_stop_fd = -1; }

const Topology& Watcher::want() const { return m->want; }

Expected<WatchEnd> Watcher::run() {
  if (auto ok = m->start(); !ok) return std::unexpected(ok.error());
  return m->loop();
}

} // namespace netlab
