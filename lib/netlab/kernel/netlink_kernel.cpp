// The real Kernel: one libnl socket per namespace, opened inside it on a helper
// thread and kept for the whole run; sysctls and nftables through a thread that
// has entered the namespace. Nothing here ever changes the calling thread's namespace.
// The helper is one long-lived thread per Kernel: a star of 1000 namespaces would
// otherwise start (and join) a thread per namespace on every observe of the lab.
#include <netlab/kernel/kernel.hpp>
#include <netlab/kernel/netlink_kinds.hpp>
#include <netlab/kernel/netlink_qdisc.hpp>
#include <netlab/kernel/netlink_read.hpp>
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/netlink_write.hpp>
#include <netlab/kernel/netns_named.hpp>
#include <netlab/kernel/netns_sysctl.hpp>
#include <netlab/kernel/netns_tun.hpp>
#include <netlab/kernel/nft.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/util/log.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>

namespace netlab {

namespace {

/// An open namespace: its socket, and which namespace the socket is in. It keeps
/// no file of the namespace open (ns_fd opens one when a request needs it): a
/// file and a socket for each of 10,000 namespaces would pass the usual hard
/// limit of 20,000 open files.
struct NsHandle {
  NlSocket sock;
  dev_t dev = 0;
  ino_t ino = 0;
};

/// The sysctl that turns IPv6 off on one link (CreateLink::no_ipv6); '/' keeps a
/// dot in the link's name.
std::string ipv6_off_key(const std::string& link) { return "net/ipv6/conf/" + link + "/disable_ipv6"; }

std::string ns_key(const NsRef& ns) {
  return ns.kind == NodeKind::host ? std::string() : ns.path;
}
std::string where(const NsRef& ns) {
  return "namespace '" + ns.node + "'";
}
std::string veth_label(const CreateLink& a) {
  return a.ns.node + ":" + a.iface.name + " <-> " + (a.peer_ns ? a.peer_ns->node : "?") + ":" +
         (a.peer ? a.peer->name : "?");
}

std::string route_text(const ObservedRoute& r) {
  std::string out = r.to.prefix == 0 && r.to.addr.family == Family::v4 ? "default" : r.to.network().str();
  if (r.via) out += " via " + r.via->str();
  if (r.dev) out += " dev " + *r.dev;
  if (r.metric) out += " metric " + std::to_string(r.metric);
  return out;
}

/// fail() with "<context>: <what went wrong>".
std::unexpected<Error> fail_in(const std::string& context, const std::string& detail) {
  return fail(context + ": " + detail);
}

/// Kernel config option behind each kind a driver provides.
const char* config_option(LinkKind kind) {
  switch (kind) {
  case LinkKind::veth: return "CONFIG_VETH";
  case LinkKind::bridge: return "CONFIG_BRIDGE";
  case LinkKind::dummy: return "CONFIG_DUMMY";
  case LinkKind::tun:
  case LinkKind::tap: return "CONFIG_TUN";
  case LinkKind::macvlan: return "CONFIG_MACVLAN";
  case LinkKind::vxlan: return "CONFIG_VXLAN";
  case LinkKind::vlan: return "CONFIG_VLAN_8021Q";
  default: return nullptr;
  }
}

/// The kernel's answer when no driver provides a link kind.
bool missing_driver(const NlError& e) {
  return e.code == EOPNOTSUPP || e.text.find("Unknown device type") != std::string::npos;
}

/// From this many namespaces on, observe_many opens and reads them on several threads.
constexpr size_t k_concurrent_min = 32;

/// Which namespace a handle is: its cookie (Linux 5.14+), unique while the
/// machine runs; else the inode of its namespace file, which a namespace made
/// after this one is gone may get again.
uint64_t namespace_id(const NsHandle& h) {
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(nl_socket_get_fd(h.sock.get()), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0 && cookie) return cookie;
  return static_cast<uint64_t>(h.ino);
}

/// Threads for reading many namespaces: their dumps mostly run under RCU, not
/// RTNL, so they overlap. Small labs are not worth starting a thread for.
unsigned reader_threads(size_t namespaces) {
  if (namespaces < k_concurrent_min) return 1;
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

/// 1000-namespace labs hold two descriptors per namespace.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// Descriptors every process makes room for at once (a 1000-namespace lab's
/// handles, a watcher's subscriptions too).
constexpr std::size_t k_fds_reserved = 4096;

/// Grows the descriptor table once to hold `more` descriptors above those open.
/// The kernel grows it by doubling as descriptors are opened, and each growth
/// waits for an RCU grace period when the process has threads (expand_fdtable):
/// a 1000-namespace status opened 2000 on its reader threads and waited five
/// times, 30 of its 120 ms. Grown here before the threads start, it waits not
/// at all (or once, when a thread runs already).
void reserve_fds(std::size_t more) {
  UniqueFd probe(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  rlimit lim{};
  if (!probe || getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const auto top = static_cast<rlim_t>(probe.get()) + more;
  const rlim_t target = std::min(top, lim.rlim_cur - 1);
  // The lowest free descriptor from `target` up: the table grows to hold it.
  if (target > static_cast<rlim_t>(probe.get())) {
    UniqueFd high(::fcntl(probe.get(), F_DUPFD_CLOEXEC, static_cast<int>(target)));
  }
}

/// One thread that enters namespaces on request (setns), runs a job there and
/// returns to the namespace it started in, so it never keeps a deleted one alive.
/// Started on first use; if it cannot go home, later jobs use a fresh thread each.
class NsWorker {
public:
  NsWorker() = default;
  NsWorker(const NsWorker&) = delete;
  NsWorker& operator=(const NsWorker&) = delete;
  ~NsWorker() {
    if (!m_thread.joinable()) return;
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }

  /// Runs `fn` on the worker after it entered `netns_fd`; the caller's namespace never changes.
  Expected<void> run_in(int netns_fd, const std::function<Expected<void>()>& fn) {
    if (!start()) return run_in_netns(netns_fd, fn);
    return post(netns_fd, fn);
  }

  /// Runs `fn` on the worker after it entered a fresh namespace (as `ip netns add`
  /// does in-process: no thread is started per namespace).
  Expected<void> run_in_new(const std::function<Expected<void>()>& fn) {
    if (!start()) return run_in_new_netns(fn);
    return post(k_new_netns, fn);
  }

private:
  static constexpr int k_new_netns = -1; ///< m_job_fd meaning "unshare a new one"

  Expected<void> post(int netns_fd, const std::function<Expected<void>()>& fn) {
    std::unique_lock lock(m_mutex);
    m_job = &fn;
    m_job_fd = netns_fd;
    m_result.reset();
    m_wake.notify_all();
    m_done.wait(lock, [&] { return m_result.has_value(); });
    Expected<void> out = std::move(*m_result);
    m_result.reset();
    return out;
  }

  bool start() {
    if (m_thread.joinable()) return !m_broken;
    m_home = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (m_home.get() < 0) return false;
    m_thread = std::thread([this] { loop(); });
    return true;
  }

  void loop() {
    std::unique_lock lock(m_mutex);
    while (true) {
      m_wake.wait(lock, [&] { return m_stop || m_job; });
      if (m_stop) return;
      const auto* job = std::exchange(m_job, nullptr);
      if (m_job_fd == k_new_netns ? unshare(CLONE_NEWNET) != 0 : setns(m_job_fd, CLONE_NEWNET) != 0)
        m_result = fail(std::string(m_job_fd == k_new_netns ? "unshare" : "setns") + ": " + errno_text(errno));
      else
        m_result = (*job)();
      // Going home releases the namespace; every job enters its own first anyway.
      if (setns(m_home.get(), CLONE_NEWNET) != 0) m_broken = true;
      m_done.notify_all();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake, m_done;
  const std::function<Expected<void>()>* m_job = nullptr; ///< guarded by m_mutex
  int m_job_fd = k_new_netns;
  std::optional<Expected<void>> m_result;
  bool m_stop = false;
  bool m_broken = false; ///< could not return home: stop using this thread
  UniqueFd m_home;       ///< the namespace the worker starts in and returns to
  std::thread m_thread;
};

/// A test hook's action index from the environment: a positive number, or nothing.
std::optional<size_t> action_index_from_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  unsigned long long k = std::strtoull(v, &end, 10);
  if (*end != '\0' || k == 0) return std::nullopt;
  return static_cast<size_t>(k);
}

class NetlinkKernel final : public Kernel {
public:
  Expected<std::vector<std::string>> list_netns() override { return list_named_netns(); }
  Expected<ObservedNs> observe(const NsRef& ns, const ObserveRequest& what) override;
  std::optional<int> link_index(const NsRef& ns, const std::string& name) override;
  Expected<std::vector<ObservedNs>> observe_many(const std::vector<ObserveJob>& jobs) override;
  void read_kernel_view(bool on) override { m_kernel_view = on; }
  void let_go(const NsRef& ns) override { forget(ns); }
  Expected<void> apply(const Action& action) override {
    if (auto injected = injected_failure(); !injected) return injected;
    return std::visit([this](const auto& a) { return run(a); }, action);
  }
  std::vector<Expected<void>> apply_many(std::span<const Action> actions) override;
  std::vector<std::pair<LinkKind, std::string>> unsupported(const std::vector<LinkKind>& kinds) override;
  std::vector<std::pair<KernelFeature, std::string>> missing_features(const std::vector<KernelFeature>& wanted) override;
  std::vector<std::pair<std::string, std::string>> unsupported_qdiscs(const std::vector<std::string>& kinds) override;

private:
  Expected<NsHandle*> handle(const NsRef& ns);
  /// handle(), or nullptr when the named namespace's file is gone (not an error).
  Expected<NsHandle*> existing_handle(const NsRef& ns);
  Expected<NsHandle> open_handle(const NsRef& ns, std::optional<NlSocket> sock = std::nullopt);
  /// The namespace's file, opened again by path, if it is still the handle's namespace.
  static Expected<UniqueFd> ns_fd(const NsRef& ns, const NsHandle& h);
  /// Runs `fn` on the worker inside the namespace: for what needs the namespace
  /// itself rather than its socket (sysctls, nftables, tun ioctls).
  Expected<void> inside(const NsRef& ns, const NsHandle& h, const std::function<Expected<void>()>& fn);
  /// The open handle of `ns` if it still names the namespace at its path, else nullptr.
  NsHandle* cached_handle(const NsRef& ns);
  /// Opens the handles of many namespaces at once (observe_many of a large lab).
  Expected<void> open_handles(const std::vector<NsRef>& refs);
  void forget(const NsRef& ns) { m_handles.erase(ns_key(ns)); }
  Expected<void> read_in_netns(const NsRef& ns, NsHandle& h, const ObserveRequest& what, ObservedNs& out);
  /// Runs `fn(handle)`; its NlError becomes "namespace 'x': <doing>: <errno text>".
  template <class Fn> Expected<void> in_ns(const NsRef& ns, const std::string& doing, Fn&& fn);
  Expected<void> tag_link(NsHandle& h, const NsRef& ns, const std::string& name, const std::string& owner,
                         bool addrgen_none = false, LinkChange change = {});

  Expected<void> run(const CreateNetns& a);
  /// The parts of creating a namespace: checks and bookkeeping before (on the
  /// caller), the namespace and its socket (any thread: touches no member), the handle after.
  Expected<void> prepare_create(const CreateNetns& a);
  static Expected<void> make_netns(const CreateNetns& a, std::optional<NlSocket>& sock, const NewNetnsRunner& run);
  Expected<void> finish_create(const CreateNetns& a, NlSocket sock);
  Expected<void> run(const DeleteNetns& a);
  Expected<void> run(const CreateLink& a);
  Expected<void> create_veth_pair(const CreateLink& a);
  /// Master index and up flag for the end a create request names.
  Expected<CreateExtras> extras_for(NsHandle& h, const CreateLink& a);
  Expected<void> create_tun(const CreateLink& a);
  Expected<void> run(const DeleteLink& a);
  Expected<void> run(const TagLink& a);
  Expected<void> run(const SetMaster& a);
  Expected<void> run(const SetMtu& a);
  Expected<void> run(const SetMac& a);
  Expected<void> run(const SetUp& a);
  Expected<void> run(const AddAddress& a);
  Expected<void> ipv6_back_on(const NsRef& ns, const std::string& link);
  Expected<void> run(const DelAddress& a);
  Expected<void> run(const AddRoute& a);
  Expected<void> run(const DelRoute& a);
  Expected<void> run(const SetSysctl& a);
  Expected<void> run(const SetNat& a);
  Expected<void> run(const SetLinkOptions& a);
  Expected<void> run(const SetBridgeVlans& a);
  Expected<void> run(const SetImpair& a);
  Expected<void> run(const MoveLink& a);
  Expected<void> run(const RenameLink& a);

  /// Test hooks, counting actions from 1 (undo steps included): NETLAB_FAIL_AT=K
  /// makes the K-th fail with EIO before it starts; NETLAB_KILL_AT=K kills the
  /// process (SIGKILL) there, as a crash at that point would.
  Expected<void> injected_failure() {
    if (!m_fail_at && !m_kill_at) return {};
    ++m_actions;
    if (m_kill_at && m_actions == *m_kill_at) std::raise(SIGKILL);
    if (!m_fail_at || m_actions != *m_fail_at) return {};
    return fail("injected failure (NETLAB_FAIL_AT=" + std::to_string(*m_fail_at) + "): " + errno_text(EIO));
  }

  std::optional<size_t> m_fail_at = action_index_from_env("NETLAB_FAIL_AT");
  std::optional<size_t> m_kill_at = action_index_from_env("NETLAB_KILL_AT");
  size_t m_actions = 0;                      ///< actions attempted so far (for m_fail_at)
  NsWorker m_worker;                         ///< declared before m_handles: sockets close before the worker stops
  std::map<std::string, NsHandle> m_handles; ///< ns_key -> open namespace
  bool m_kernel_view = false;                ///< every observe as with ObserveRequest::kernel_view
  bool m_netns_dir_ready = false;
};

// ---- namespace handles -------------------------------------------------------

Expected<NsHandle> NetlinkKernel::open_handle(const NsRef& ns, std::optional<NlSocket> sock) {
  auto fd = open_netns(ns);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return fail_in(where(ns), "fstat: " + errno_text(errno));
  if (!sock) {
    auto opened = m_worker.run_in(fd->get(), [&]() -> Expected<void> {
      auto s = NlSocket::open();
      if (!s) return std::unexpected(s.error());
      sock = std::move(*s);
      return {};
    });
    if (!opened) return fail_in(where(ns), opened.error().message);
  }
  return NsHandle{std::move(*sock), st.st_dev, st.st_ino};
}

Expected<UniqueFd> NetlinkKernel::ns_fd(const NsRef& ns, const NsHandle& h) {
  auto fd = open_netns(ns);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return fail_in(where(ns), "fstat: " + errno_text(errno));
  // Deleted and made again under the same name since the handle was opened.
  if (st.st_dev != h.dev || st.st_ino != h.ino) return fail_in(where(ns), "replaced by another namespace");
  return fd;
}

Expected<void> NetlinkKernel::inside(const NsRef& ns, const NsHandle& h, const std::function<Expected<void>()>& fn) {
  auto fd = ns_fd(ns, h);
  if (!fd) return std::unexpected(fd.error());
  return m_worker.run_in(fd->get(), fn);
}

NsHandle* NetlinkKernel::cached_handle(const NsRef& ns) {
  std::string key = ns_key(ns);
  auto it = m_handles.find(key);
  if (it == m_handles.end()) return nullptr;
  struct stat st {};
  // The path may now name another namespace (deleted and re-made behind our back).
  if (key.empty() || (stat(key.c_str(), &st) == 0 && st.st_dev == it->second.dev && st.st_ino == it->second.ino))
    return &it->second;
  m_handles.erase(it);
  return nullptr;
}

/// A handle opened on the calling thread, which enters the namespace and stays
/// there: only for threads of our own that end right after (open_handles).
static Expected<NsHandle> open_handle_here(const NsRef& ns) {
  auto fd = open_netns(ns);
  if (!fd) return std::unexpected(fd.error());
  struct stat st {};
  if (fstat(fd->get(), &st) != 0) return fail_in(where(ns), "fstat: " + errno_text(errno));
  if (setns(fd->get(), CLONE_NEWNET) != 0) return fail_in(where(ns), "setns: " + errno_text(errno));
  auto sock = NlSocket::open();
  if (!sock) return fail_in(where(ns), sock.error().message);
  return NsHandle{std::move(*sock), st.st_dev, st.st_ino};
}

Expected<void> NetlinkKernel::open_handles(const std::vector<NsRef>& refs) {
  // A socket belongs to the namespace it is opened in, so opening one means
  // entering the namespace. The worker does that one handle per round trip (two
  // context switches each: most of a 1000-namespace status on a quiet machine).
  // Here a few threads of our own each enter namespace after namespace, open
  // its socket, and end when the list does; the caller never moves.
  std::vector<std::optional<Expected<NsHandle>>> opened(refs.size());
  reserve_fds(2 * refs.size()); // a socket each, and the namespace's file while it opens
  std::atomic<size_t> next{0};
  {
    std::vector<std::jthread> openers;
    for (unsigned t = 0; t < reader_threads(refs.size()); ++t)
      openers.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < refs.size();) {
          try {
            opened[i] = open_handle_here(refs[i]);
          } catch (const std::exception& e) { // bad_alloc: not out of a thread of ours
            opened[i] = fail_in(where(refs[i]), e.what());
          }
        }
      });
  }
  // What could not be opened here (a namespace deleted since it was listed) is
  // left to the one-by-one path, which tells a namespace gone from an error.
  for (size_t i = 0; i < refs.size(); ++i)
    if (*opened[i]) m_handles.insert_or_assign(ns_key(refs[i]), std::move(**opened[i]));
  return {};
}

Expected<NsHandle*> NetlinkKernel::handle(const NsRef& ns) {
  if (NsHandle* cached = cached_handle(ns)) return cached;
  auto opened = open_handle(ns);
  if (!opened) return std::unexpected(opened.error());
  return &m_handles.insert_or_assign(ns_key(ns), std::move(*opened)).first->second;
}

template <class Fn> Expected<void> NetlinkKernel::in_ns(const NsRef& ns, const std::string& doing, Fn&& fn) {
  auto h = handle(ns);
  if (!h) return std::unexpected(h.error());
  NlExpected<void> done = fn(**h);
  if (!done) return fail_in(where(ns), doing + ": " + done.error().text);
  return {};
}

Expected<void> NetlinkKernel::tag_link(NsHandle& h, const NsRef& ns, const std::string& name,
                                       const std::string& owner, bool addrgen_none, LinkChange change) {
  // The kernel ignores IFLA_IFALIAS in RTM_NEWLINK, so the tag is a separate RTM_SETLINK.
  if (!owner.empty()) change.alias = owner;
  change.addrgen_none = addrgen_none;
  if (!change.alias && !addrgen_none && !change.up && !change.master) return {};
  auto tagged = set_link(h.sock, name, change);
  if (!tagged) {
    // Name what else the request carried: any of it may be what the kernel refused.
    std::string with = change.alias ? " with " + *change.alias : "";
    if (change.master) with += " (master " + *change.master + ")";
    if (change.up) with += " (up)";
    if (addrgen_none) with += " (addrgenmode none)";
    return fail_in(where(ns), "tag " + name + with + ": " + tagged.error().text);
  }
  return {};
}

// ---- observe -----------------------------------------------------------------

Expected<void> NetlinkKernel::read_in_netns(const NsRef& ns, NsHandle& h, const ObserveRequest& what, ObservedNs& out) {
  // An update keeps what no event said changed: entering a namespace is not free.
  const ObservedNs* base = what.update && what.update->base && what.update->base->ns_id == out.ns_id ? what.update->base : nullptr;
  const bool sysctls = !what.sysctls.empty() && !(base && !what.update->sysctls);
  const bool nat = !what.nat_table.empty() && !(base && !what.update->nat);
  if (base && !sysctls) out.sysctls = base->sysctls;
  if (base && !nat && !what.nat_table.empty()) out.nat_table = base->nat_table;
  if (!sysctls && !nat && !what.nft_ruleset) return {};
  return inside(ns, h, [&]() -> Expected<void> {
    for (const auto& key : sysctls ? what.sysctls : std::vector<std::string>{}) {
      auto value = read_sysctl(key);
      if (!value) return std::unexpected(value.error());
      if (*value) out.sysctls[key] = **value;
    }
    if (what.nft_ruleset) {
      auto ruleset = nft_read_ruleset();
      if (!ruleset) return std::unexpected(ruleset.error());
      out.nft_ruleset = std::move(*ruleset);
      auto text = nft_read_ruleset_text();
      if (!text) return std::unexpected(text.error());
      out.nft_ruleset_text = std::move(*text);
    }
    if (!nat) return {};
    auto table = nft_read_table(what.nat_table);
    if (!table) return std::unexpected(table.error());
    out.nat_table = *table;
    return {};
  });
}

Expected<NsHandle*> NetlinkKernel::existing_handle(const NsRef& ns) {
  struct stat st {};
  if (ns.kind != NodeKind::host && stat(ns.path.c_str(), &st) != 0) {
    if (errno != ENOENT) return fail_in(where(ns), ns.path + ": " + errno_text(errno));
    forget(ns);
    return nullptr;
  }
  return handle(ns);
}

Expected<ObservedNs> NetlinkKernel::observe(const NsRef& ns, const ObserveRequest& what) {
  auto seen = observe_many({ObserveJob{ns, what}});
  if (!seen) return std::unexpected(seen.error());
  return std::move(seen->front());
}

std::optional<int> NetlinkKernel::link_index(const NsRef& ns, const std::string& name) {
  auto h = existing_handle(ns);
  if (!h || !*h) return std::nullopt;
  (*h)->sock.forget_ifindex(name); // ask the kernel, not what we remember
  auto index = (*h)->sock.ifindex(name);
  return index ? std::optional(*index) : std::nullopt;
}

/// Runs fn(i) for i in [0, n) on up to `threads` threads (the caller's included).
void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::jthread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
}

/// The socket remembers the indexes just read (a link deleted and made again
/// by hand since the last read has a new one).
void remember_indexes(NlSocket& sock, const ObservedNs& seen) {
  std::unordered_map<std::string, int> indexes;
  for (const auto& l : seen.links) indexes.emplace(l.name, l.ifindex);
  sock.remember_ifindexes(std::move(indexes));
}

/// -v: "observe ns1: 3 links, 1 route (0.31 ms)"; -vv: every object read.
void log_observed(const NsRef& ns, const ObservedNs& seen, const std::optional<Error>& error,
                  std::chrono::steady_clock::time_point start) {
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::string what = error ? error->message
                           : std::to_string(seen.links.size()) + " links, " + std::to_string(seen.routes.size()) +
                                 " routes";
  log_line(LogLevel::debug, "observe " + ns.node + ": " + what + " (" + format_ms(ms) + ")");
  if (error || !log_enabled(LogLevel::trace)) return;
  for (const auto& line : describe_observed(seen)) log_line(LogLevel::trace, "  " + ns.node + ": " + line);
}

/// A namespace the caller's plan deletes whole (ObserveRequest::let_go): only
/// its links are read, and our socket there is closed on the reader, as early as
/// can be (a closed socket keeps the namespace alive for an RCU grace period).
bool going(const ObserveJob& job) { return job.what.let_go && job.ns.kind == NodeKind::netns; }

Expected<std::vector<ObservedNs>> NetlinkKernel::observe_many(const std::vector<ObserveJob>& jobs) {
  std::vector<ObservedNs> out(jobs.size());
  std::vector<NsHandle*> handles(jobs.size(), nullptr);
  // What each job's path names now, probed on the readers' threads when there
  // are many (statfs and lstat for the empty file a killed run leaves, stat):
  // in this thread they were most of a 1000-namespace status's serial part.
  struct Probe {
    bool stale = false; ///< an empty file, no namespace on it
    int err = 0;        ///< stat's errno (ENOENT: no such namespace)
    dev_t dev = 0;
    ino_t ino = 0;
  };
  std::vector<Probe> probes(jobs.size());
  parallel_for(jobs.size(), reader_threads(jobs.size()), [&](size_t i) {
    const NsRef& ns = jobs[i].ns;
    if (ns.kind == NodeKind::host) return;
    if (ns.kind == NodeKind::netns && stale_netns_file(ns.path)) {
      probes[i].stale = true;
      return;
    }
    struct stat st {};
    if (::stat(ns.path.c_str(), &st) != 0) probes[i].err = errno;
    probes[i].dev = st.st_dev;
    probes[i].ino = st.st_ino;
  });
  // A cached handle is good while its path names the namespace it was opened on
  // (deleted and made again behind our back: open it again).
  auto cached = [&](size_t i) -> NsHandle* {
    auto it = m_handles.find(ns_key(jobs[i].ns));
    if (it == m_handles.end()) return nullptr;
    if (jobs[i].ns.kind == NodeKind::host || (it->second.dev == probes[i].dev && it->second.ino == probes[i].ino))
      return &it->second;
    m_handles.erase(it);
    return nullptr;
  };
  // Handles next. Many namespaces not open yet (a fresh process's status, no-op
  // up, down) are opened at once on threads of their own; the rest one by one
  // below (opening a socket enters the namespace on the worker).
  std::vector<NsRef> to_open;
  std::set<std::string> keys;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (probes[i].stale || probes[i].err) continue;
    if (!cached(i) && keys.insert(ns_key(jobs[i].ns)).second) to_open.push_back(jobs[i].ns);
  }
  if (to_open.size() >= k_concurrent_min)
    if (auto opened = open_handles(to_open); !opened) return std::unexpected(opened.error());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const NsRef& ns = jobs[i].ns;
    out[i].ref = ns;
    if (probes[i].stale) {
      forget(ns);
      out[i].stale_file = true;
      continue;
    }
    if (probes[i].err) {
      if (probes[i].err != ENOENT) return fail_in(where(ns), ns.path + ": " + errno_text(probes[i].err));
      forget(ns);
      if (log_enabled(LogLevel::debug)) log_line(LogLevel::debug, "observe " + ns.node + ": does not exist");
      continue;
    }
    NsHandle* h = cached(i);
    if (!h) {
      auto opened = existing_handle(ns); // deleted since the probe: does not exist
      if (!opened) return std::unexpected(opened.error());
      if (!*opened) continue;
      h = *opened;
    }
    handles[i] = h;
    out[i].exists = true;
  }
  // The dumps, concurrently: each socket is used by one thread at a time.
  std::vector<std::optional<Error>> errors(jobs.size());
  std::vector<std::mutex> guard(jobs.size()); // two nodes may name one namespace
  std::map<NsHandle*, size_t> owner_of, users;
  for (size_t i = 0; i < jobs.size(); ++i)
    if (handles[i]) {
      owner_of.emplace(handles[i], i);
      ++users[handles[i]];
    }
  parallel_for(jobs.size(), reader_threads(jobs.size()), [&](size_t i) {
    if (!handles[i]) return;
    std::lock_guard lock(guard[owner_of.at(handles[i])]);
    out[i].ns_id = namespace_id(*handles[i]);
    const bool timed = log_enabled(LogLevel::debug);
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    const ObserveRequest& what = jobs[i].what;
    if (going(jobs[i])) { // deleted whole: its links tell whose it is, nothing else is asked of it
      if (auto read = read_netlink_links(handles[i]->sock, out[i]); !read) errors[i] = read.error();
      if (timed) log_observed(jobs[i].ns, out[i], errors[i], start);
      if (users.at(handles[i]) == 1) handles[i]->sock = NlSocket{};
      return;
    }
    const bool view = what.kernel_view || m_kernel_view;
    // Only what changed when the caller knows it (netlab watch), unless the
    // caller wants more than an update keeps or the namespace is another one now.
    std::optional<std::set<int>> again;
    if (what.update && what.update->base && !view && !what.all_routes && what.update->base->ns_id == out[i].ns_id) {
      again.emplace();
      auto read = read_netlink_update(handles[i]->sock, *what.update->base, what.update->links, what.update->names,
                                      *again, out[i]);
      if (!read) errors[i] = read.error();
      else if (!*read) again.reset(); // a link was renamed: read it whole
    }
    if (!again && !errors[i])
      if (auto read = read_netlink_state(handles[i]->sock, out[i], what.all_routes, view); !read) errors[i] = read.error();
    if (!errors[i])
      if (auto more = read_link_details(handles[i]->sock, out[i], what.bridge_vlans, again ? &*again : nullptr); !more)
        errors[i] = more.error();
    if (!errors[i]) remember_indexes(handles[i]->sock, out[i]);
    if (!errors[i] && jobs[i].what.qdiscs)
      if (auto read = read_root_qdiscs(handles[i]->sock, out[i]); !read) errors[i] = read.error();
    if (timed) log_observed(jobs[i].ns, out[i], errors[i], start);
  });
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (errors[i]) return fail_in(where(jobs[i].ns), errors[i]->message);
    if (!handles[i]) continue;
    if (going(jobs[i])) continue;
    if (auto read = read_in_netns(jobs[i].ns, *handles[i], jobs[i].what, out[i]); !read)
      return fail_in(where(jobs[i].ns), read.error().message);
  }
  for (size_t i = 0; i < jobs.size(); ++i) // after the loop above: another job may share the handle
    if (handles[i] && going(jobs[i])) forget(jobs[i].ns);
  return out;
}

// ---- namespaces ----------------------------------------------------------------

std::string create_context(const CreateNetns& a) { return "create namespace '" + a.ns.node + "'"; }

/// Runs a job right here after unsharing a new namespace: for threads of our
/// own that may end up anywhere (the namespace they last made dies with them
/// unless it is mounted).
Expected<void> unshare_here(const std::function<Expected<void>()>& fn) {
  if (unshare(CLONE_NEWNET) != 0) return fail("unshare: " + errno_text(errno));
  return fn();
}

Expected<void> NetlinkKernel::prepare_create(const CreateNetns& a) {
  if (a.ns.kind != NodeKind::netns) return fail_in(create_context(a), "only named namespaces are created");
  if (!m_netns_dir_ready) {
    if (auto ready = prepare_netns_dir(); !ready) return fail_in(create_context(a), ready.error().message);
    m_netns_dir_ready = true;
  }
  forget(a.ns);
  // What an interrupted create or delete of this (declared) namespace left: a missing namespace.
  if (stale_netns_file(a.ns.path) && unlink(a.ns.path.c_str()) != 0 && errno != ENOENT)
    return fail_in(create_context(a), "remove the empty file " + a.ns.path + ": " + errno_text(errno));
  return {};
}

Expected<void> NetlinkKernel::finish_create(const CreateNetns& a, NlSocket sock) {
  auto opened = open_handle(a.ns, std::move(sock));
  if (!opened) return fail_in(create_context(a), opened.error().message);
  m_handles.insert_or_assign(ns_key(a.ns), std::move(*opened));
  return {};
}

Expected<void> NetlinkKernel::run(const CreateNetns& a) {
  if (auto ready = prepare_create(a); !ready) return ready;
  std::optional<NlSocket> sock;
  auto made = make_netns(a, sock, [this](const auto& fn) { return m_worker.run_in_new(fn); });
  if (!made) return made;
  return finish_create(a, std::move(*sock));
}

std::vector<Expected<void>> NetlinkKernel::apply_many(std::span<const Action> actions) {
  bool creates = std::ranges::all_of(actions, [](const Action& a) { return std::holds_alternative<CreateNetns>(a); });
  if (m_fail_at || m_kill_at) return Kernel::apply_many(actions); // one by one, each counted by apply()
  unsigned threads = std::min<size_t>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u), actions.size() / 8);
  if (!creates || threads < 2) return Kernel::apply_many(actions);
  // Making namespaces runs mostly outside RTNL, so several threads overlap
  // (1.5x on 2 cores). Each is a thread of its own: it ends up in the last
  // namespace it made, never the caller.
  std::vector<Expected<void>> out(actions.size());
  std::vector<std::optional<NlSocket>> socks(actions.size());
  reserve_fds(2 * actions.size());
  for (size_t i = 0; i < actions.size(); ++i) out[i] = prepare_create(std::get<CreateNetns>(actions[i]));
  std::atomic<size_t> next{0};
  {
    std::vector<std::jthread> makers;
    for (unsigned t = 0; t < threads; ++t)
      makers.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < actions.size();)
          if (out[i]) out[i] = make_netns(std::get<CreateNetns>(actions[i]), socks[i], unshare_here);
      });
  }
  for (size_t i = 0; i < actions.size(); ++i)
    if (out[i]) out[i] = finish_create(std::get<CreateNetns>(actions[i]), std::move(*socks[i]));
  return out;
}

Expected<void> NetlinkKernel::make_netns(const CreateNetns& a, std::optional<NlSocket>& sock, const NewNetnsRunner& run) {
  auto made = create_named_netns(a.ns.path, [&]() -> Expected<void> {
    // Open the namespace's socket while we are inside anyway, and mark it as ours.
    auto s = NlSocket::open();
    if (!s) return std::unexpected(s.error());
    if (!a.owner.empty() || a.lo_up) {
      LinkChange lo{.up = a.lo_up ? std::optional(true) : std::nullopt,
                    .alias = a.owner.empty() ? std::nullopt : std::optional(a.owner)};
      if (auto tagged = set_link(*s, "lo", lo); !tagged)
        return fail("tag lo with " + a.owner + ": " + tagged.error().text);
    }
    sock = std::move(*s);
    return {};
  }, run);
  if (!made) return fail_in(create_context(a), made.error().message);
  return {};
}

Expected<void> NetlinkKernel::run(const DeleteNetns& a) {
  std::string context = "delete namespace '" + a.ns.node + "'";
  if (a.ns.kind != NodeKind::netns) return fail_in(context, "only named namespaces are deleted");
  forget(a.ns); // our socket would keep the namespace alive
  if (auto gone = delete_named_netns(a.ns.path); !gone) return fail_in(context, gone.error().message);
  return {};
}

// ---- links ---------------------------------------------------------------------------

Expected<CreateExtras> NetlinkKernel::extras_for(NsHandle& h, const CreateLink& a) {
  CreateExtras extras{.up = a.up};
  if (a.master && !a.master->empty()) {
    auto index = h.sock.ifindex(*a.master);
    if (!index) return fail("master " + *a.master + ": " + index.error().text);
    extras.master_index = *index;
  }
  return extras;
}

Expected<void> NetlinkKernel::create_veth_pair(const CreateLink& a) {
  std::string context = "create veth " + veth_label(a);
  if (!a.peer_ns || !a.peer) return fail_in(context, "no peer given");
  // The request names the end that gets master/up; the other is its peer.
  const NsRef& first_ns = a.peer_first ? *a.peer_ns : a.ns;
  const NsRef& second_ns = a.peer_first ? a.ns : *a.peer_ns;
  const Interface& first = a.peer_first ? *a.peer : a.iface;
  const Interface& second = a.peer_first ? a.iface : *a.peer;
  auto h = handle(first_ns);
  if (!h) return fail_in(context, h.error().message);
  auto p = handle(second_ns);
  if (!p) return fail_in(context, p.error().message);
  auto extras = extras_for(**h, a);
  if (!extras) return fail_in(context, extras.error().message);
  // Both ends are born in their own namespaces: no name ever shows up in ours.
  auto first_fd = ns_fd(first_ns, **h);
  if (!first_fd) return fail_in(context, first_fd.error().message);
  auto second_fd = ns_fd(second_ns, **p);
  if (!second_fd) return fail_in(context, second_fd.error().message);
  auto made = create_veth((*h)->sock, VethEnd{&first, first_fd->get()}, VethEnd{&second, second_fd->get()}, *extras);
  if (!made) return fail_in(context, made.error().text);
  // Before either end has carrier (its peer up, in the tagging request below):
  // IPv6 sets a link up when the carrier comes.
  bool first_off = a.peer_first ? a.peer_no_ipv6 : a.no_ipv6, second_off = a.peer_first ? a.no_ipv6 : a.peer_no_ipv6;
  Expected<void> off;
  if (first_off) off = inside(first_ns, **h, [&] { return write_sysctl(ipv6_off_key(first.name), "1"); });
  if (off && second_off) off = inside(second_ns, **p, [&] { return write_sysctl(ipv6_off_key(second.name), "1"); });
  if (!off) {
    (void)delete_link((*h)->sock, first.name);
    return fail_in(context, off.error().message);
  }
  // The first end may be up already, but it has no carrier before its peer is.
  auto tagged = tag_link(**h, first_ns, first.name, a.owner, a.peer_first ? a.peer_addrgen_none : a.addrgen_none);
  if (tagged)
    tagged = tag_link(**p, second_ns, second.name, a.owner, a.peer_first ? a.addrgen_none : a.peer_addrgen_none,
                      LinkChange{.up = a.other_up ? std::optional(true) : std::nullopt, .master = a.other_master});
  if (!tagged) {
    (void)delete_link((*h)->sock, first.name); // an untagged link would never be cleaned up
    return tagged;
  }
  return {};
}

Expected<void> NetlinkKernel::create_tun(const CreateLink& a) {
  std::string doing = "create " + std::string(to_string(a.iface.kind)) + " " + a.iface.name;
  auto h = handle(a.ns);
  if (!h) return std::unexpected(h.error());
  // TUNSETIFF attaches to an existing device of that name instead of failing.
  if ((*h)->sock.ifindex(a.iface.name)) return fail_in(where(a.ns), doing + ": " + errno_text(EEXIST));
  auto made = inside(a.ns, **h, [&] { return create_persistent_tun(a.iface); });
  if (!made) return fail_in(where(a.ns), doing + ": " + made.error().message);
  // mtu and mac go with up/master when there are such, else into the tagging request:
  // a tap always has a MAC (the file's or derived), and it costs no request of its own.
  LinkChange settings{.up = a.up ? std::optional(true) : std::nullopt, .mtu = a.iface.mtu, .mac = a.iface.mac,
                      .master = a.master};
  LinkChange with_tag{};
  if (!settings.up && !settings.master) std::swap(settings, with_tag);
  if (settings.up || settings.mtu || settings.mac || settings.master)
    if (auto set = set_link((*h)->sock, a.iface.name, settings); !set) {
      (void)delete_link((*h)->sock, a.iface.name);
      return fail_in(where(a.ns), doing + ": " + set.error().text);
    }
  auto tagged = tag_link(**h, a.ns, a.iface.name, a.owner, a.addrgen_none, with_tag);
  if (!tagged) (void)delete_link((*h)->sock, a.iface.name);
  return tagged;
}

Expected<void> NetlinkKernel::run(const CreateLink& a) {
  if (a.iface.kind == LinkKind::veth) return create_veth_pair(a);
  if (a.iface.kind == LinkKind::tun || a.iface.kind == LinkKind::tap) return create_tun(a);
  std::string doing = "create " + std::string(to_string(a.iface.kind)) + " " + a.iface.name;
  auto h = handle(a.ns);
  if (!h) return std::unexpected(h.error());
  auto extras = extras_for(**h, a);
  if (!extras) return fail_in(where(a.ns), doing + ": " + extras.error().message);
  if (a.iface.vxlan && a.iface.vxlan->underlay_host && a.ns.kind != NodeKind::host) {
    // A tunnel end between machines: the request goes out of the host namespace
    // and names the node's as IFLA_NET_NS_FD, so the kernel opens the vxlan's UDP
    // socket in the host namespace (its src_net, where the underlay is) and the
    // device is born in the node, master index and all resolved there.
    auto host = handle(NsRef{.node = "host", .kind = NodeKind::host, .path = "", .ns_id = 0});
    if (!host) return std::unexpected(host.error());
    auto node_fd = ns_fd(a.ns, **h);
    if (!node_fd) return std::unexpected(node_fd.error());
    auto made = create_link((*host)->sock, a.iface, *extras, node_fd->get());
    if (!made) return fail_in(where(a.ns), doing + " from the host namespace: " + made.error().text);
  } else if (auto made = in_ns(a.ns, doing, [&](NsHandle& hh) { return create_link(hh.sock, a.iface, *extras); });
             !made) {
    return made;
  }
  auto tagged = tag_link(**h, a.ns, a.iface.name, a.owner, a.addrgen_none);
  if (!tagged) (void)delete_link((*h)->sock, a.iface.name);
  return tagged;
}

Expected<void> NetlinkKernel::run(const DeleteLink& a) {
  // A veth's peer goes too, in a namespace whose socket may remember its index.
  for (auto& [key, h] : m_handles) h.sock.forget_ifindexes();
  return in_ns(a.ns, "delete link " + a.was.name, [&](NsHandle& h) -> NlExpected<void> {
    auto gone = delete_link(h.sock, a.was.name);
    // Gone already: a veth whose peer's namespace was deleted (by a run killed
    // since) vanishes on its own, asynchronously. What the action wants is true.
    if (!gone && gone.error().code == ENODEV) return {};
    return gone;
  });
}

Expected<void> NetlinkKernel::run(const MoveLink& a) {
  std::string doing = "move " + a.link + " to namespace '" + a.to.node + "'";
  auto to = handle(a.to);
  if (!to) return fail_in(where(a.ns), doing + ": " + to.error().message);
  auto to_fd = ns_fd(a.to, **to);
  if (!to_fd) return fail_in(where(a.ns), doing + ": " + to_fd.error().message);
  auto moved = in_ns(a.ns, doing, [&](NsHandle& h) -> NlExpected<void> {
    auto set = set_link(h.sock, a.link, LinkChange{.netns_fd = to_fd->get()});
    h.sock.forget_ifindex(a.link); // its index now means nothing here
    // A bridge or lo: NETIF_F_NETNS_LOCAL. Say why, not only "Invalid argument".
    if (!set && set.error().code == EINVAL)
      set.error().text += " (the kernel moves no bridge, loopback or other netns-local device)";
    return set;
  });
  if (!moved || !a.addrgen_none) return moved;
  // Its IPv6 state was made anew in the new namespace: no link-local there either.
  return in_ns(a.to, "set addrgenmode none on " + a.link,
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.addrgen_none = true}); });
}

Expected<void> NetlinkKernel::run(const RenameLink& a) {
  return in_ns(a.ns, "rename " + a.link + " to " + a.name,
               [&](NsHandle& h) { return rename_link(h.sock, a.link, a.name); });
}

Expected<void> NetlinkKernel::run(const TagLink& a) {
  return in_ns(a.ns, "set alias of " + a.link + " to '" + a.owner + "'",
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.alias = a.owner}); });
}

Expected<void> NetlinkKernel::run(const SetMaster& a) {
  if (a.in_create) return {};
  std::string doing = a.master && !a.master->empty() ? "set master of " + a.link + " to " + *a.master
                                                     : "release " + a.link + " from its master";
  return in_ns(a.ns, doing,
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.master = a.master.value_or("")}); });
}

Expected<void> NetlinkKernel::run(const SetMtu& a) {
  return in_ns(a.ns, "set mtu " + std::to_string(a.mtu) + " on " + a.link,
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.mtu = a.mtu}); });
}

Expected<void> NetlinkKernel::run(const SetMac& a) {
  return in_ns(a.ns, "set mac " + a.mac + " on " + a.link,
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.mac = a.mac}); });
}

Expected<void> NetlinkKernel::run(const SetUp& a) {
  if (a.in_create) return {};
  return in_ns(a.ns, "set " + a.link + (a.up ? " up" : " down"),
               [&](NsHandle& h) { return set_link(h.sock, a.link, LinkChange{.up = a.up}); });
}

// ---- addresses, routes ---------------------------------------------------------------

/// A bridge port outside the lab's namespaces is made without IPv6 when nothing
/// there needs it (CreateLink::no_ipv6: disable_ipv6); an IPv6 address the file
/// gives it later needs IPv6 back, or the kernel refuses the address (EACCES).
/// Read first: only such a port has it off.
Expected<void> NetlinkKernel::ipv6_back_on(const NsRef& ns, const std::string& link) {
  auto h = handle(ns);
  if (!h) return std::unexpected(h.error());
  auto on = inside(ns, **h, [&]() -> Expected<void> {
    auto off = read_sysctl(ipv6_off_key(link));
    if (!off) return std::unexpected(off.error());
    if (!*off || **off != "1") return {};
    return write_sysctl(ipv6_off_key(link), "0");
  });
  if (!on) return fail_in(where(ns), "switch IPv6 back on for " + link + ": " + on.error().message);
  return {};
}

Expected<void> NetlinkKernel::run(const AddAddress& a) {
  if (a.cidr.addr.family == Family::v6 && a.ns.kind != NodeKind::netns)
    if (auto on = ipv6_back_on(a.ns, a.link); !on) return on;
  return in_ns(a.ns, "add address " + a.cidr.str() + " to " + a.link,
               [&](NsHandle& h) { return change_address(h.sock, a.link, a.cidr, true); });
}

Expected<void> NetlinkKernel::run(const DelAddress& a) {
  return in_ns(a.ns, "delete address " + a.cidr.str() + " from " + a.link,
               [&](NsHandle& h) { return change_address(h.sock, a.link, a.cidr, false); });
}

Expected<void> NetlinkKernel::run(const AddRoute& a) {
  return in_ns(a.ns, "add route " + route_text(a.route),
               [&](NsHandle& h) { return change_route(h.sock, a.route, true); });
}

Expected<void> NetlinkKernel::run(const DelRoute& a) {
  return in_ns(a.ns, "delete route " + route_text(a.route),
               [&](NsHandle& h) { return change_route(h.sock, a.route, false); });
}

// ---- sysctls, NAT ----------------------------------------------------------------------

Expected<void> NetlinkKernel::run(const SetSysctl& a) {
  auto h = handle(a.ns);
  if (!h) return std::unexpected(h.error());
  auto set = inside(a.ns, **h, [&] { return write_sysctl(a.key, a.value); });
  if (!set) return fail_in(where(a.ns), set.error().message);
  return {};
}

Expected<void> NetlinkKernel::run(const SetNat& a) {
  auto h = handle(a.ns);
  if (!h) return std::unexpected(h.error());
  auto set = inside(a.ns, **h, [&] { return nft_replace_table(a.table, a.want); });
  if (!set) return fail_in(where(a.ns), set.error().message);
  return {};
}

// ---- kind-specific settings ------------------------------------------------------------

Expected<void> NetlinkKernel::run(const SetLinkOptions& a) {
  std::string doing = "change " + std::string(to_string(a.want.kind)) + " settings of " + a.want.name;
  if (a.want.kind != LinkKind::tun && a.want.kind != LinkKind::tap)
    return in_ns(a.ns, doing, [&](NsHandle& h) { return change_link_options(h.sock, a.want); });
  auto h = handle(a.ns);
  if (!h) return std::unexpected(h.error());
  auto set = inside(a.ns, **h, [&] { return set_tun_owner(a.want); });
  if (!set) return fail_in(where(a.ns), doing + ": " + set.error().message);
  return {};
}

Expected<void> NetlinkKernel::run(const SetBridgeVlans& a) {
  auto changes = vlan_changes(a.want, a.old);
  std::string doing = "set vlans of " + a.link + (a.self ? " (self)" : "") + " to " + vlans_text(a.want);
  return in_ns(a.ns, doing, [&](NsHandle& h) -> NlExpected<void> {
    if (auto del = change_bridge_vlans(h.sock, a.link, a.self, changes.remove, false); !del) return del;
    return change_bridge_vlans(h.sock, a.link, a.self, changes.add, true);
  });
}

std::vector<std::pair<KernelFeature, std::string>>
NetlinkKernel::missing_features(const std::vector<KernelFeature>& wanted) {
  if (std::find(wanted.begin(), wanted.end(), KernelFeature::bridge_vlan_filtering) == wanted.end()) return {};
  bool available = true;
  (void)run_in_new_netns([&]() -> Expected<void> {
    auto sock = NlSocket::open();
    if (!sock) return std::unexpected(sock.error());
    available = bridge_vlan_filtering_available(*sock);
    return {};
  });
  if (available) return {};
  return {{KernelFeature::bridge_vlan_filtering, "CONFIG_BRIDGE_VLAN_FILTERING"}};
}

// ---- impairment (qdiscs) ---------------------------------------------------------------

Expected<void> NetlinkKernel::run(const SetImpair& a) {
  std::string doing = a.want && shapes_traffic(*a.want) ? "set impair " + impair_text(*a.want) + " on " + a.link
                                                        : "remove impair from " + a.link;
  return in_ns(a.ns, doing, [&](NsHandle& h) { return set_impairment(h.sock, a.link, a.want, a.mtu); });
}

std::vector<std::pair<std::string, std::string>>
NetlinkKernel::unsupported_qdiscs(const std::vector<std::string>& kinds) {
  if (kinds.empty()) return {};
  std::vector<std::string> missing;
  // Like the driver probe: a throwaway namespace whose lo carries the test qdiscs.
  (void)run_in_new_netns([&]() -> Expected<void> {
    auto sock = NlSocket::open();
    if (!sock) return std::unexpected(sock.error());
    missing = probe_missing_qdiscs(*sock, kinds);
    return {};
  });
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kind : missing)
    if (const char* option = qdisc_config_option(kind)) out.emplace_back(kind, option);
  return out;
}

// ---- driver probe ----------------------------------------------------------------------

Interface probe_interface(const std::string& name, LinkKind kind) {
  Interface probe;
  probe.name = name;
  probe.kind = kind;
  probe.macvlan.emplace().parent = "probe0";
  probe.vlan.emplace().parent = "probe0";
  probe.vlan->id = 5;
  probe.vxlan.emplace().id = 42;
  return probe;
}

/// Tries each kind in the calling thread's (throwaway) namespace.
std::vector<LinkKind> probe_missing(NlSocket& sock, const std::vector<LinkKind>& kinds) {
  std::vector<LinkKind> missing;
  Interface a = probe_interface("probe0", LinkKind::veth), b = probe_interface("probe1", LinkKind::veth);
  NlExpected<void> parent = std::unexpected(NlError{}); // probe0: parent of the macvlan/vlan probes
  auto make_parent = [&] {
    if (!parent) parent = create_veth(sock, {&a, -1}, {&b, -1});
    return parent;
  };
  for (LinkKind kind : kinds) {
    if (!config_option(kind) || std::find(missing.begin(), missing.end(), kind) != missing.end()) continue;
    NlExpected<void> made;
    if (kind == LinkKind::tun || kind == LinkKind::tap) {
      if (!tun_available()) missing.push_back(kind);
      continue;
    }
    if (kind == LinkKind::veth)
      made = make_parent();
    else if ((kind == LinkKind::macvlan || kind == LinkKind::vlan) && !make_parent())
      continue; // cannot tell
    else
      made = create_link(sock, probe_interface("probe" + std::string(to_string(kind)), kind));
    if (!made && missing_driver(made.error())) missing.push_back(kind);
  }
  return missing;
}

std::vector<std::pair<LinkKind, std::string>> NetlinkKernel::unsupported(const std::vector<LinkKind>& kinds) {
  if (std::none_of(kinds.begin(), kinds.end(), [](LinkKind k) { return config_option(k) != nullptr; }))
    return {}; // nothing to probe: spare the throwaway namespace (and its asynchronous teardown)
  std::vector<LinkKind> missing;
  // A fresh namespace that dies with its thread: probing never touches a real one.
  (void)run_in_new_netns([&]() -> Expected<void> {
    auto sock = NlSocket::open();
    if (!sock) return std::unexpected(sock.error());
    missing = probe_missing(*sock, kinds);
    return {};
  });
  std::vector<std::pair<LinkKind, std::string>> out;
  for (LinkKind kind : missing)
    out.emplace_back(kind, config_option(kind));
  return out;
}

} // namespace

std::unique_ptr<Kernel> make_netlink_kernel() {
  static std::once_flag raised;
  std::call_once(raised, [] {
    raise_fd_limit();
    reserve_fds(k_fds_reserved);
  });
  return std::make_unique<NetlinkKernel>();
}

} // namespace netlab
