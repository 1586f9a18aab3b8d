// netlab_stage_profile: where the time of `netlab up/status/down` goes on a
// star-N lab. Runs the same engine calls as the CLI verbs, in-process, through a
// Kernel decorator that times every observe() and every apply() by action kind,
// and prints one breakdown per verb: load+validate, observe, diff, apply (per
// kind), verify, the rest (state dir, bookkeeping). Runs in a private sandbox.
#include "sandbox.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/kernel/netlink_read.hpp>
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/netns.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace {

using namespace netlab;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr const char* k_action_names[] = {"CreateNetns", "DeleteNetns", "CreateLink", "DeleteLink", "TagLink", "SetMaster",
                                          "SetMtu",      "SetMac",      "SetUp",      "AddAddress", "DelAddress",
                                          "AddRoute",    "DelRoute",    "SetSysctl",  "SetNat",
                                          "SetLinkOptions", "SetBridgeVlans",
                                          "SetImpair",   "MoveLink",    "RenameLink"};
static_assert(std::size(k_action_names) == std::variant_size_v<Action>);

/// Seconds and count of one kind of kernel call.
struct Bucket {
  double seconds = 0;
  size_t calls = 0;
};

/// Forwards to the real kernel and times each call. Observes before the first
/// apply are the plan's, after it the verify's.
class TimingKernel final : public Kernel {
  template <typename Fn> auto timed(const std::string& key, Fn&& fn) {
    auto start = Clock::now();
    auto r = fn();
    auto& b = m_buckets[key];
    b.seconds += since(start);
    ++b.calls;
    return r;
  }

public:
  explicit TimingKernel(std::unique_ptr<Kernel> inner) : m_inner(std::move(inner)) {}

  Expected<std::vector<std::string>> list_netns() override { return timed("list_netns", [&] { return m_inner->list_netns(); }); }
  Expected<ObservedNs> observe(const NsRef& ns, const ObserveRequest& what) override {
    std::string key = m_applied ? "observe (verify)" : "observe";
    key += ns.kind == NodeKind::host ? " host" : " netns";
    return timed(key, [&] { return m_inner->observe(ns, what); });
  }
  Expected<std::vector<ObservedNs>> observe_many(const std::vector<ObserveJob>& jobs) override {
    std::string key = std::string(m_applied ? "observe_many (verify)" : "observe_many") + " x" + std::to_string(jobs.size());
    return timed(key, [&] { return m_inner->observe_many(jobs); });
  }
  std::optional<int> link_index(const NsRef& ns, const std::string& name) override {
    return timed("link_index", [&] { return m_inner->link_index(ns, name); });
  }
  std::vector<Expected<void>> apply_many(std::span<const Action> actions) override {
    m_applied = true;
    std::string key = std::string("apply_many ") + k_action_names[actions.front().index()] + " x" +
                      std::to_string(actions.size());
    return timed(key, [&] { return m_inner->apply_many(actions); });
  }
  Expected<void> apply(const Action& action) override {
    m_applied = true;
    return timed(std::string("apply ") + k_action_names[action.index()], [&] { return m_inner->apply(action); });
  }
  std::vector<std::pair<LinkKind, std::string>> unsupported(const std::vector<LinkKind>& kinds) override {
    return timed("unsupported", [&] { return m_inner->unsupported(kinds); });
  }
  std::vector<std::pair<std::string, std::string>> unsupported_qdiscs(const std::vector<std::string>& kinds) override {
    return timed("unsupported_qdiscs", [&] { return m_inner->unsupported_qdiscs(kinds); });
  }

  /// Every bucket so far, and forgets them.
  std::map<std::string, Bucket> take() {
    m_applied = false;
    return std::exchange(m_buckets, {});
  }

private:
  std::unique_ptr<Kernel> m_inner;
  std::map<std::string, Bucket> m_buckets;
  bool m_applied = false;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netlab_stage_profile: %s\n", what.c_str());
  std::exit(1);
}

/// Prints one verb's breakdown; `total` is its wall time in-process.
void print(const char* verb, double total, std::map<std::string, Bucket> buckets,
           const char* rest_label = "engine rest (diff, state dir, bookkeeping)") {
  double counted = 0;
  std::printf("\n%s: %.3f s\n", verb, total);
  for (const auto& [key, b] : buckets) {
    if (!key.starts_with("load") && !key.starts_with("diff")) counted += b.seconds;
    std::printf("  %-40s %8.3f s  %6zu calls  %8.3f ms/call  %5.1f%%\n", key.c_str(), b.seconds, b.calls,
                1000 * b.seconds / double(b.calls), 100 * b.seconds / total);
  }
  double load = buckets["load+validate"].seconds;
  double rest = total - load - counted;
  std::printf("  %-40s %8.3f s\n", rest_label, rest);
}

Topology load(const std::string& path, std::map<std::string, Bucket>& into) {
  auto start = Clock::now();
  auto topo = load_and_validate(path);
  if (!topo) die(topo.error());
  into["load+validate"] = {since(start), 1};
  return std::move(*topo);
}

/// One `netlab up FILE`, as cmd_up.cpp does it; diff timed separately on the same observation.
void profile_up(const char* verb, const std::string& path) {
  auto start = Clock::now();
  TimingKernel kernel(make_netlink_kernel()); // a fresh one per verb, like a fresh CLI process
  std::map<std::string, Bucket> extra;
  Topology topo = load(path, extra);
  auto memory = load_lab_state(topo.name);
  if (!memory) die(memory.error().message);
  auto r = reconcile(kernel, topo, *memory);
  if (!r || !r->applied.ok() || !r->unconverged.empty()) die(std::string(verb) + " failed");
  double total = since(start);
  auto buckets = kernel.take();
  buckets.merge(extra);
  print(verb, total, std::move(buckets));
  std::printf("  (%zu actions)\n", r->plan.actions.size());
}

/// `netlab status FILE`: observe + diff.
void profile_status(const std::string& path) {
  auto start = Clock::now();
  TimingKernel kernel(make_netlink_kernel());
  std::map<std::string, Bucket> extra;
  Topology topo = load(path, extra);
  auto memory = load_lab_state(topo.name);
  if (!memory) die(memory.error().message);
  auto have = observe_lab(kernel, topo, *memory);
  if (!have) die(have.error().message);
  auto d = Clock::now();
  Plan plan = diff(topo, *have, *memory);
  extra["diff"] = {since(d), 1};
  double total = since(start);
  auto buckets = kernel.take();
  buckets.merge(extra);
  print("status", total, std::move(buckets));
  std::printf("  (%zu findings)\n", plan.findings.size());
}

/// What one observe() of a namespace is made of: entering it to open a socket,
/// then one dump each of links, addresses, routes. Entering uses a new thread per
/// namespace (util's run_in_netns), as the Kernel did before its worker thread:
/// compare with the status breakdown above to see what the worker saves.
void profile_observe_parts(const std::string& path) {
  std::map<std::string, Bucket> b;
  Topology topo = load(path, b);
  b.clear();
  auto add = [&](const char* key, Clock::time_point t) {
    b[key].seconds += since(t);
    ++b[key].calls;
  };
  auto start = Clock::now();
  for (const auto& node : topo.nodes) {
    auto t = Clock::now();
    auto fd = open_netns(ns_ref_for(node));
    if (!fd) die(fd.error().message);
    std::optional<NlSocket> sock;
    auto opened = run_in_netns(fd->get(), [&]() -> Expected<void> {
      auto s = NlSocket::open();
      if (!s) return std::unexpected(s.error());
      sock = std::move(*s);
      return {};
    });
    if (!opened) die(opened.error().message);
    add(node.kind == NodeKind::host ? "host: new thread, enter, open socket" : "netns: new thread, enter, open socket", t);
    const char* pre = node.kind == NodeKind::host ? "host: " : "netns: ";
    t = Clock::now();
    auto links = sock->dump_links();
    add((std::string(pre) + "dump links (libnl cache)").c_str(), t);
    t = Clock::now();
    auto addrs = sock->dump_addrs();
    add((std::string(pre) + "dump addresses (libnl cache)").c_str(), t);
    t = Clock::now();
    auto routes = sock->dump_routes();
    add((std::string(pre) + "dump routes (libnl cache)").c_str(), t);
    t = Clock::now();
    ObservedNs out;
    if (auto r = read_netlink_state(*sock, out); !r) die(r.error().message);
    add((std::string(pre) + "read_netlink_state (all 3)").c_str(), t);
    if (!links || !addrs || !routes) die("dump failed");
  }
  print("observe, by part", since(start), std::move(b), "rest");
}

/// `netlab down FILE`, as cmd_down.cpp does it.
void profile_down(const std::string& path) {
  auto start = Clock::now();
  TimingKernel kernel(make_netlink_kernel());
  std::map<std::string, Bucket> extra;
  Topology topo = load(path, extra);
  auto memory = discover_lab(kernel, topo.name);
  if (!memory) die(memory.error().message);
  for (const auto& n : topo.nodes)
    if (!memory->find_node(n.name)) memory->nodes.push_back(ns_ref_for(n));
  Topology nothing;
  nothing.name = topo.name;
  auto r = reconcile(kernel, nothing, *memory);
  if (!r || !r->applied.ok()) die("down failed");
  (void)remove_lab_state(topo.name);
  double total = since(start);
  auto buckets = kernel.take();
  buckets.merge(extra);
  print("down", total, std::move(buckets));
  std::printf("  (%zu actions)\n", r->plan.actions.size());
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: netlab_stage_profile FILE.yaml [REST_SECONDS]\n"
                         "  FILE: e.g. a star-N lab written by netlab_bench --keep. REST_SECONDS: pause after\n"
                         "  up, so no-op up and status see a lab at rest (its IPv6 start-up traffic over).\n");
    return 2;
  }
  netlab::bench::enter_sandbox("netlab_stage_profile");
  profile_up("up", argv[1]);
  if (argc == 3) std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(argv[2])));
  profile_up("no-op up", argv[1]);
  profile_status(argv[1]);
  profile_observe_parts(argv[1]);
  profile_down(argv[1]);
  return 0;
}
