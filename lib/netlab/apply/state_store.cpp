#include <netlab/apply/state_store.hpp>

#include <netlab/apply/apply.hpp>

#include <nlohmann/json.hpp>

#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace netlab {

using nlohmann::json;

namespace {

json route_to_json(const ObservedRoute& r) {
  json j{{"to", r.to.str()}, {"metric", r.metric}};
  if (r.via) j["via"] = r.via->str();
  if (r.dev) j["dev"] = *r.dev;
  return j;
}

ObservedRoute route_from_json(const json& j) {
  ObservedRoute r;
  r.to = Cidr::parse(j.at("to").get<std::string>()).value_or(Cidr{});
  r.metric = j.value("metric", 0u);
  r.protocol = k_route_protocol;
  if (j.contains("via")) r.via = IpAddr::parse(j["via"].get<std::string>());
  if (j.contains("dev")) r.dev = j["dev"].get<std::string>();
  return r;
}

json to_json(const LabState& s) {
  json nodes = json::array();
  for (const auto& n : s.nodes) {
    json node{{"node", n.node}, {"kind", std::string(to_string(n.kind))}, {"path", n.path}};
    if (n.ns_id) node["ns_id"] = n.ns_id;
    nodes.push_back(std::move(node));
  }
  json routes = json::object();
  for (const auto& [node, rs] : s.foreign_ns_routes) {
    routes[node] = json::array();
    for (const auto& r : rs)
      routes[node].push_back(route_to_json(r));
  }
  return {{"version", 1},
          {"lab", s.lab},
          {"source", s.source_path},
          {"nodes", nodes},
          {"saved_sysctls", s.saved_sysctls},
          {"foreign_ns_routes", routes},
          {"nat_nodes", s.nat_nodes},
          {"ipv6_off", s.ipv6_off},
          {"impaired_links", s.impaired_links},
          {"host_ns_id", s.host_ns_id},
          {"pending_links", s.pending_links},
          {"machine", s.machine}};
}

NodeKind kind_from(const std::string& k) {
  if (k == "host") return NodeKind::host;
  if (k == "external") return NodeKind::external;
  return NodeKind::netns;
}

LabState from_json(const json& j) {
  LabState s;
  s.lab = j.at("lab").get<std::string>();
  s.source_path = j.value("source", "");
  for (const auto& n : j.at("nodes"))
    s.nodes.push_back({n.at("node").get<std::string>(), kind_from(n.value("kind", "netns")), n.value("path", ""),
                       n.value("ns_id", uint64_t{0})});
  s.saved_sysctls = j.value("saved_sysctls", decltype(s.saved_sysctls){});
  const json routes = j.value("foreign_ns_routes", json::object()); // items() must not outlive it
  for (const auto& [node, rs] : routes.items())
    for (const auto& r : rs)
      s.foreign_ns_routes[node].push_back(route_from_json(r));
  s.nat_nodes = j.value("nat_nodes", std::vector<std::string>{});
  s.ipv6_off = j.value("ipv6_off", std::vector<std::string>{});
  s.impaired_links = j.value("impaired_links", decltype(s.impaired_links){});
  s.host_ns_id = j.value("host_ns_id", uint64_t{0});
  s.pending_links = j.value("pending_links", decltype(s.pending_links){});
  s.machine = j.value("machine", "");
  return s;
}

} // namespace

namespace {

constexpr std::size_t k_max_state_bytes = 64u << 20; // far above any real lab; a hostile file is refused

std::string under_root(const std::string& name) {
  return std::string(k_state_root) + "/" + name;
}

Expected<void> check_name(const std::string& lab) {
  if (auto problem = lab_name_problem(lab)) return fail(*problem, ExitCode::usage);
  return {};
}

/// Refuses a dir that another user could change under root's feet.
Expected<void> check_dir(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(path + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode)) return fail(path + ": not a directory; refusing to use it");
  if (st.st_uid != ::geteuid())
    return fail(path + ": owned by uid " + std::to_string(st.st_uid) + ", not by uid " + std::to_string(::geteuid()) +
                "; refusing to use it");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(path + ": writable by group or others (mode " + mode + "); refusing to use it (chmod 700 " + path +
                ", or remove it)");
  }
  return {};
}

/// Opens `name` in `parent` (AT_FDCWD: an absolute path) as a checked dir,
/// making it 0700 first when `create`. nullopt-like empty fd: missing and not created.
Expected<UniqueFd> open_dir(int parent, const std::string& name, const std::string& path, bool create) {
  if (create && ::mkdirat(parent, name.c_str(), 0700) == 0) {
    // mkdir honours the umask, and a umask can only take bits away; still, say 0700 exactly.
    UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd && ::fchmod(fd.get(), 0700) != 0) return fail(path + ": chmod: " + errno_text(errno));
  } else if (create && errno != EEXIST) {
    return fail(path + ": " + errno_text(errno));
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT && !create) return UniqueFd{};
    if (errno == ELOOP || errno == ENOTDIR) {
      struct stat st {};
      if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return fail(path + ": a symlink; refusing to use it");
      return fail(path + ": not a directory; refusing to use it");
    }
    return fail(path + ": " + errno_text(errno));
  }
  if (auto ok = check_dir(fd.get(), path); !ok) return std::unexpected(ok.error());
  return fd;
}

Expected<UniqueFd> open_root(bool create) {
  return open_dir(AT_FDCWD, k_state_root, k_state_root, create);
}

/// The lab's dir, checked; an empty fd when it (or the root) does not exist and `create` is false.
Expected<UniqueFd> open_lab_dir(const std::string& lab, bool create) {
  if (auto ok = check_name(lab); !ok) return std::unexpected(ok.error());
  auto root = open_root(create);
  if (!root || !*root) return root;
  return open_dir(root->get(), lab, under_root(lab), create);
}

Expected<void> write_all(int fd, std::string_view text, const std::string& path) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(path + ": " + errno_text(n < 0 ? errno : EIO));
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

/// The whole of `name` in `dir`, never following a symlink, never blocking on a FIFO;
/// nullopt when it does not exist.
Expected<std::optional<std::string>> read_regular(int dir, const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    if (errno == ELOOP) return fail(path + ": a symlink; refusing to read it");
    return fail(path + ": " + errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return fail(path + ": not a regular file; refusing to read it");
  if (static_cast<std::size_t>(st.st_size) > k_max_state_bytes)
    return fail(path + ": " + std::to_string(st.st_size) + " bytes; a state file is never that big");
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(path + ": " + errno_text(errno));
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > k_max_state_bytes) return fail(path + ": too big for a state file");
  }
  return std::optional<std::string>{std::move(text)};
}

} // namespace

Expected<LabState> load_lab_state(const std::string& lab) {
  auto dir = open_lab_dir(lab, false);
  if (!dir) return std::unexpected(dir.error());
  LabState empty;
  empty.lab = lab;
  if (!*dir) return empty;
  const std::string path = under_root(lab) + "/state.json";
  auto text = read_regular(dir->get(), "state.json", path);
  if (!text) return std::unexpected(text.error());
  if (!*text) return empty;
  LabState s;
  try {
    s = from_json(json::parse(**text));
  } catch (const json::exception& e) {
    // Not "remove it": the file holds the original values of host sysctls that only `down` restores.
    return fail(path + ": unreadable state (" + e.what() +
                "); it holds what 'down' restores (host sysctls, routes): repair it by hand, or move it aside and "
                "run 'netlab down -l " + lab + "', which then leaves host sysctls as they are");
  }
  if (s.lab != lab)
    return fail(path + ": names lab " + escape_for_terminal(s.lab) + ", not " + lab + "; not netlab's: move it aside");
  return s;
}

namespace {

/// Writes `name` (0600) in the lab's dir atomically: a fresh tmp file (O_EXCL|O_NOFOLLOW), then rename.
Expected<void> write_lab_file(const std::string& lab, const std::string& name, const std::string& text) {
  auto dir = open_lab_dir(lab, true);
  if (!dir) return std::unexpected(dir.error());
  const std::string path = under_root(lab) + "/" + name;
  const std::string tmp_name = name + ".tmp";
  const std::string tmp = path + ".tmp";
  // A stale tmp (a crash, or someone else's link) goes first: unlinkat removes the name, never its target.
  if (::unlinkat(dir->get(), tmp_name.c_str(), 0) != 0 && errno != ENOENT) return fail(tmp + ": " + errno_text(errno));
  UniqueFd fd(::openat(dir->get(), tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return fail(tmp + ": " + errno_text(errno));
  if (::fchmod(fd.get(), 0600) != 0) return fail(tmp + ": chmod: " + errno_text(errno));
  if (auto w = write_all(fd.get(), text, tmp); !w) return w;
  if (::close(fd.release()) != 0) return fail(tmp + ": " + errno_text(errno));
  if (::renameat(dir->get(), tmp_name.c_str(), dir->get(), name.c_str()) != 0)
    return fail(path + ": " + errno_text(errno));
  return {};
}

} // namespace

Expected<void> save_lab_state(const LabState& state) {
  return write_lab_file(state.lab, "state.json", to_json(state).dump(2) + "\n");
}

Expected<void> remove_lab_state(const std::string& lab) {
  auto dir = open_lab_dir(lab, false);
  if (!dir) return std::unexpected(dir.error());
  if (!*dir) return {};
  const std::string path = under_root(lab);
  // Only the dir's own entries, by name relative to its descriptor: a symlink in it is removed, not followed.
  DIR* d = ::fdopendir(::dup(dir->get()));
  if (!d) return fail(path + ": " + errno_text(errno));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..") names.emplace_back(e->d_name);
  ::closedir(d);
  for (const auto& name : names)
    if (::unlinkat(dir->get(), name.c_str(), 0) != 0 && errno != ENOENT)
      return fail(path + "/" + escape_for_terminal(name) + ": " + errno_text(errno));
  auto root = open_root(false);
  if (!root) return std::unexpected(root.error());
  if (*root && ::unlinkat(root->get(), lab.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return fail(path + ": " + errno_text(errno));
  return {};
}

Expected<std::optional<ExerciseState>> load_exercise_state(const std::string& lab) {
  auto dir = open_lab_dir(lab, false);
  if (!dir) return std::unexpected(dir.error());
  if (!*dir) return std::optional<ExerciseState>{};
  const std::string path = under_root(lab) + "/exercise.json";
  auto text = read_regular(dir->get(), "exercise.json", path);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<ExerciseState>{};
  try {
    json j = json::parse(**text);
    ExerciseState s;
    s.number = j.at("number").get<std::size_t>();
    s.name = j.value("name", "");
    s.attempts = j.value("attempts", 0u);
    s.solved = j.value("solved", false);
    return std::optional<ExerciseState>{std::move(s)};
  } catch (const json::exception& e) {
    return fail(path + ": unreadable (" + e.what() + "); 'netlab exercise start' writes it again");
  }
}

Expected<void> save_exercise_state(const std::string& lab, const ExerciseState& state) {
  if (auto ok = check_name(lab); !ok) return ok;
  json j{{"number", state.number}, {"name", state.name}, {"attempts", state.attempts}, {"solved", state.solved}};
  return write_lab_file(lab, "exercise.json", j.dump(2) + "\n");
}

Expected<void> remove_exercise_state(const std::string& lab) {
  auto dir = open_lab_dir(lab, false);
  if (!dir) return std::unexpected(dir.error());
  if (!*dir) return {};
  if (::unlinkat(dir->get(), "exercise.json", 0) != 0 && errno != ENOENT)
    return fail(under_root(lab) + "/exercise.json: " + errno_text(errno));
  return {};
}

std::string lab_topology_path(const std::string& lab) { return under_root(lab) + "/topology.yaml"; }

Expected<void> save_lab_topology(const std::string& lab, const std::string& text) {
  return write_lab_file(lab, "topology.yaml", text);
}

std::vector<std::string> list_lab_states() {
  std::vector<std::string> labs;
  auto root = open_root(false);
  if (!root || !*root) return labs;
  DIR* d = ::fdopendir(::dup(root->get()));
  if (!d) return labs;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (lab_name_problem(name)) continue; // ".lock", ".locks", and anything that is no lab name
    struct stat st {};
    if (::fstatat(root->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (::fstatat(root->get(), (name + "/state.json").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) labs.push_back(name);
  }
  ::closedir(d);
  std::ranges::sort(labs);
  return labs;
}

// ---- locks ------------------------------------------------------------------------

namespace {

/// "netlab up LAB": this process's command line, argv[0] shortened to its base name.
std::string own_command_line() {
  UniqueFd fd(::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC));
  std::string raw;
  char buf[4096];
  for (ssize_t n; fd && (n = ::read(fd.get(), buf, sizeof buf)) > 0;)
    raw.append(buf, static_cast<std::size_t>(n));
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; start < raw.size(); ++i) {
    std::size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    std::string arg = raw.substr(start, end - start);
    if (i == 0 && arg.rfind('/') != std::string::npos) arg = arg.substr(arg.rfind('/') + 1);
    out += (out.empty() ? "" : " ") + arg;
    start = end + 1;
  }
  return out.substr(0, 512);
}

/// "pid N (netlab up LAB)" from a lock file's content, escaped for a terminal.
std::string holder_of(int fd) {
  char buf[1024];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "another netlab run";
  std::string text(buf, static_cast<std::size_t>(n));
  auto nl = text.find('\n');
  std::string pid = text.substr(0, nl);
  std::string command = nl == std::string::npos ? "" : text.substr(nl + 1);
  while (!command.empty() && command.back() == '\n')
    command.pop_back();
  std::string out = "pid " + escape_for_terminal(pid);
  if (!command.empty()) out += " (" + escape_for_terminal(command) + ")";
  return out;
}

Expected<UniqueFd> open_lock_file(int dir, const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return fail(path + ": " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(path + ": " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return fail(path + ": not a regular file; refusing to use it");
  return fd;
}

/// flock `fd`, waiting as `wait` says; `what` is "lab lock" or "global lock".
Expected<void> take(int fd, int op, const std::string& what, const LockWait& wait) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  bool told = false;
  while (::flock(fd, op | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return fail(what + ": flock: " + errno_text(errno));
    // A SIGINT/SIGTERM while waiting: nothing has changed yet, so just stop.
    if (stop_requested()) return fail("interrupted while waiting for the " + what + " held by " + holder_of(fd));
    auto waited = clock::now() - start;
    if (wait.limit && waited >= *wait.limit) {
      char waited_text[48] = "";
      if (wait.limit->count() > 0)
        std::snprintf(waited_text, sizeof waited_text, "; gave up after %.1f s", wait.limit->count() / 1000.0);
      return fail("the " + what + " is held by " + holder_of(fd) + waited_text);
    }
    if (!told && waited >= std::chrono::seconds(1)) {
      told = true;
      if (wait.on_waiting) wait.on_waiting("waiting for the " + what + " held by " + holder_of(fd));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Say who holds it, for whoever waits next.
  std::string me = std::to_string(::getpid()) + "\n" + own_command_line() + "\n";
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, me.data(), me.size(), 0);
  return {};
}

} // namespace

Expected<RunLock> RunLock::lab(const std::string& lab, LockMode mode, const LockWait& wait) {
  if (auto ok = check_name(lab); !ok) return std::unexpected(ok.error());
  // A reader (plan) makes nothing: where no run of the lab ever took its lock
  // (no lock file), none holds it now, and a verb that changes nothing leaves nothing.
  const bool create = mode == LockMode::exclusive;
  auto root = open_root(create);
  if (!root) return std::unexpected(root.error());
  if (!*root) return RunLock(UniqueFd{});
  auto locks = open_dir(root->get(), ".locks", under_root(".locks"), create);
  if (!locks) return std::unexpected(locks.error());
  if (!*locks) return RunLock(UniqueFd{});
  if (!create && ::faccessat(locks->get(), lab.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
    return RunLock(UniqueFd{});
  auto fd = open_lock_file(locks->get(), lab, under_root(".locks/" + lab));
  if (!fd) return std::unexpected(fd.error());
  if (auto ok = take(fd->get(), mode == LockMode::shared ? LOCK_SH : LOCK_EX, "lab lock", wait); !ok)
    return std::unexpected(ok.error());
  return RunLock(std::move(*fd));
}

Expected<RunLock> RunLock::global(const LockWait& wait) {
  auto root = open_root(true);
  if (!root) return std::unexpected(root.error());
  auto fd = open_lock_file(root->get(), ".lock", under_root(".lock"));
  if (!fd) return std::unexpected(fd.error());
  if (auto ok = take(fd->get(), LOCK_EX, "global lock", wait); !ok) return std::unexpected(ok.error());
  return RunLock(std::move(*fd));
}

namespace {

/// The pid in a lock file's first line, 0 if none.
long lock_pid(int fd) {
  char buf[32];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return std::strtol(buf, nullptr, 10);
}

} // namespace

Expected<RunLock> RunLock::watcher(const std::string& lab) {
  if (auto ok = check_name(lab); !ok) return std::unexpected(ok.error());
  auto root = open_root(true);
  if (!root) return std::unexpected(root.error());
  auto locks = open_dir(root->get(), ".locks", under_root(".locks"), true);
  if (!locks) return std::unexpected(locks.error());
  const std::string name = lab + "#watch";
  auto fd = open_lock_file(locks->get(), name, under_root(".locks/" + name));
  if (!fd) return std::unexpected(fd.error());
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return fail("watcher lock: flock: " + errno_text(errno));
    return fail("lab '" + lab + "' is already watched by " + holder_of(fd->get()) + "; one watcher per lab");
  }
  std::string me = std::to_string(::getpid()) + "\n" + own_command_line() + "\n";
  if (::ftruncate(fd->get(), 0) == 0) (void)::pwrite(fd->get(), me.data(), me.size(), 0);
  return RunLock(std::move(*fd));
}

std::optional<std::string> lab_watcher(const std::string& lab) {
  if (check_name(lab)) {
    auto root = open_root(false);
    if (!root || !*root) return std::nullopt;
    auto locks = open_dir(root->get(), ".locks", under_root(".locks"), false);
    if (!locks || !*locks) return std::nullopt;
    UniqueFd fd(::openat(locks->get(), (lab + "#watch").c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return std::nullopt;
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return std::nullopt; // nobody holds it
    if (errno != EWOULDBLOCK || lock_pid(fd.get()) == ::getpid()) return std::nullopt;
    return holder_of(fd.get());
  }
  return std::nullopt;
}

std::string lab_state_stamp(const std::string& lab) {
  auto dir = open_lab_dir(lab, false);
  if (!dir || !*dir) return {};
  struct stat st {};
  if (::fstatat(dir->get(), "state.json", &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_size);
}

} // namespace netlab
