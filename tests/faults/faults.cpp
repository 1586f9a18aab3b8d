// netlab_faults: kills `netlab up` and `netlab down` at random points (SIGKILL)
// and interrupts them (SIGINT), then checks the crash-recovery rule of
// ARCHITECTURE.md: `status` does not crash (exit 0 or 3), `up` converges
// (`status` exit 0 after it), `down` leaves nothing (no namespace, no tagged
// link, no netlab-* nft table, no state dir, every host sysctl back to its value
// before the first `up`). An interrupted `up` must undo itself: exit 130, and
// the sandbox as before it. Two labs: a star of N namespaces on a host bridge,
// and a NAT lab that turns on the host's ip_forward. Everything runs in a
// private sandbox (tests/support/sandbox.hpp): nothing is visible on the machine.
#include "../support/sandbox.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef NETLAB_BINARY
#define NETLAB_BINARY "netlab"
#endif
#ifndef NETLAB_SOURCE_DIR
#define NETLAB_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t seed = 0;
  int kills = 30;      ///< SIGKILLs of up, and as many of down, per lab
  int interrupts = 10; ///< SIGINTs per lab
  int star = 200;
  std::string netlab = NETLAB_BINARY;
  std::string only; ///< "star" or "nat": one lab only
  bool verbose = false;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netlab_faults: %s\n", what.c_str());
  std::exit(1);
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---------------------------------------------------------------- processes

/// How a child ended, and what it printed (stdout and stderr).
struct Proc {
  int status = 0;
  std::string out;
  bool signalled_by_us = false; ///< it was still running when the signal went
};

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}
int exit_code(const Proc& p) {
  return WIFEXITED(p.status) ? WEXITSTATUS(p.status) : -1;
}

const fs::path& log_path() {
  static const fs::path p = fs::temp_directory_path() / ("netlab_faults." + std::to_string(getpid()) + ".log");
  return p;
}

/// Runs argv with stdout and stderr into the log; sends `sig` after `delay_s` (if >= 0) unless it ended.
Proc run(const std::vector<std::string>& argv, double delay_s = -1, int sig = SIGKILL) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int fd = open(log_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  Proc p;
  if (delay_s >= 0) {
    auto deadline = Clock::now() + std::chrono::duration<double>(delay_s);
    while (Clock::now() < deadline) {
      if (waitpid(pid, &p.status, WNOHANG) == pid) goto done;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    p.signalled_by_us = kill(pid, sig) == 0;
  }
  if (waitpid(pid, &p.status, 0) != pid) die(std::string("waitpid: ") + std::strerror(errno));
done:
  std::ifstream in(log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  p.out = ss.str();
  return p;
}

std::string capture(const std::vector<std::string>& argv) {
  return run(argv).out;
}

// ---------------------------------------------------------------- the sandbox's state

/// Host sysctls a lab may change; their values before the first `up` are the baseline.
const std::vector<std::string> k_watched_sysctls = {"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"};

std::string read_sysctl(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  std::ranges::replace(path.begin() + 10, path.end(), '.', '/');
  std::ifstream in(path);
  std::string v;
  std::getline(in, v);
  return v;
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  std::ranges::replace(path.begin() + 10, path.end(), '.', '/');
  std::ofstream(path) << value << '\n';
}

std::map<std::string, std::string> sysctls_now() {
  std::map<std::string, std::string> out;
  for (const auto& k : k_watched_sysctls)
    out[k] = read_sysctl(k);
  return out;
}

std::vector<std::string> dir_entries(const char* dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename() != ".lock") out.push_back(e.path().filename());
  return out;
}

/// What `down` must leave: nothing. Returns each leftover, named.
std::vector<std::string> leftovers(const std::map<std::string, std::string>& baseline) {
  std::vector<std::string> out;
  for (const auto& n : dir_entries("/run/netns"))
    out.push_back("namespace file /run/netns/" + n);
  for (const auto& n : dir_entries("/run/netlab"))
    if (n != ".locks") out.push_back("state dir /run/netlab/" + n); // lock files stay, empty of state
  std::istringstream links(capture({"/usr/sbin/ip", "-o", "link", "show"}));
  for (std::string line; std::getline(links, line);)
    if (line.find("alias netlab") != std::string::npos) out.push_back("tagged link: " + line.substr(0, 80));
  std::istringstream tables(capture({"/usr/sbin/nft", "list", "tables"}));
  for (std::string line; std::getline(tables, line);)
    if (line.find("netlab-") != std::string::npos) out.push_back("nft " + line);
  for (const auto& [k, v] : sysctls_now())
    if (baseline.at(k) != v) out.push_back("sysctl " + k + " = " + v + " (was " + baseline.at(k) + ")");
  return out;
}

/// After a failed trial: removes everything by hand so later trials start clean.
void force_clean(const std::map<std::string, std::string>& baseline) {
  for (const auto& n : dir_entries("/run/netns")) {
    std::string p = "/run/netns/" + n;
    umount2(p.c_str(), MNT_DETACH);
    unlink(p.c_str());
  }
  std::istringstream links(capture({"/usr/sbin/ip", "-o", "link", "show"}));
  for (std::string line; std::getline(links, line);) {
    auto a = line.find(": "), b = line.find(':', a + 2);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string name = line.substr(a + 2, b - a - 2);
    if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
    if (name != "lo") run({"/usr/sbin/ip", "link", "del", name});
  }
  run({"/usr/sbin/nft", "flush", "ruleset"});
  for (const auto& n : dir_entries("/run/netlab"))
    fs::remove_all(fs::path("/run/netlab") / n);
  for (const auto& [k, v] : baseline)
    write_sysctl(k, v);
}

// ---------------------------------------------------------------- labs

struct Lab {
  std::string label; ///< "star-200", "nat"
  std::string file;
  double up_s = 0, down_s = 0; ///< a full run of each, measured
};

std::string star_yaml(int n) {
  std::string y = "name: faults-star\nversion: 1\nnodes:\n  host:\n    kind: host\n    interfaces:\n";
  y += "      br0: {kind: bridge, addresses: [10.0.0.1/16]}\n";
  for (int i = 0; i < n; ++i)
    y += "      v" + std::to_string(i) + ": {master: br0}\n";
  for (int i = 0; i < n; ++i) {
    y += "  n" + std::to_string(i) + ":\n    interfaces:\n      eth0: {addresses: [10.0." +
         std::to_string((i + 2) / 256) + "." + std::to_string((i + 2) % 256) + "/16]}\n";
    y += "    routes: [default via 10.0.0.1]\n";
  }
  y += "links:\n";
  for (int i = 0; i < n; ++i)
    y += "  - [n" + std::to_string(i) + ":eth0, host:v" + std::to_string(i) + "]\n";
  return y;
}

// ---------------------------------------------------------------- trials

struct Tally {
  int passed = 0, failed = 0;
  int kills_tried = 0, kills_survived = 0; ///< signals that hit a running netlab, and the recoveries that worked
  std::vector<std::string> failures;
};

class Harness {
public:
  Harness(Options o, std::map<std::string, std::string> baseline)
      : m_o(std::move(o)), m_baseline(std::move(baseline)), m_rng(m_o.seed) {}

  /// Times a full up and down, so kill points spread over a whole run.
  bool calibrate(Lab& lab) {
    auto t = Clock::now();
    Proc up = netlab({"up", lab.file});
    lab.up_s = since(t);
    t = Clock::now();
    Proc down = netlab({"down", lab.file});
    lab.down_s = since(t);
    auto left = leftovers(m_baseline);
    if (exit_code(up) != 0 || exit_code(down) != 0 || !left.empty()) {
      std::fprintf(stderr, "netlab_faults: %s: a plain up/down fails (%s / %s):\n%s\n", lab.label.c_str(),
                   status_text(up.status).c_str(), status_text(down.status).c_str(), up.out.c_str());
      return false;
    }
    std::printf("%s: up %.2f s, down %.2f s\n", lab.label.c_str(), lab.up_s, lab.down_s);
    return true;
  }

  /// SIGKILL of `up` at a random point, then status / up / status / down / nothing left.
  void kill_up(const Lab& lab, int i) {
    double at = uniform(0, lab.up_s * 1.1);
    Proc p = netlab({"up", lab.file}, at, SIGKILL);
    recover(lab, "kill up #" + std::to_string(i) + " at " + ms(at), p, true);
  }

  /// SIGKILL of `down` of a converged lab at a random point, then the same.
  void kill_down(const Lab& lab, int i) {
    const std::string what = "kill down #" + std::to_string(i);
    if (Proc up = netlab({"up", lab.file}); exit_code(up) != 0) return fail(lab, what + ": the up before", up);
    double at = uniform(0, lab.down_s * 1.1);
    Proc p = netlab({"down", lab.file}, at, SIGKILL);
    recover(lab, what + " at " + ms(at), p, true);
  }

  /// SIGINT of `up` (from nothing): exit 130 and nothing left, or it had finished (exit 0).
  /// SIGINT of `down` (odd i): exit 130 or 0. Then the usual recovery.
  void interrupt(const Lab& lab, int i) {
    bool on_down = i % 3 == 2;
    std::string what = std::string("SIGINT ") + (on_down ? "down" : "up") + " #" + std::to_string(i);
    if (on_down)
      if (Proc up = netlab({"up", lab.file}); exit_code(up) != 0) return fail(lab, what + ": the up before", up);
    double at = uniform(0, (on_down ? lab.down_s : lab.up_s) * 1.1);
    Proc p = netlab({on_down ? "down" : "up", lab.file}, at, SIGINT);
    what += " at " + ms(at);
    int rc = exit_code(p);
    // Before it holds the lock netlab has changed nothing and keeps the default action: it dies of the signal.
    bool early = WIFSIGNALED(p.status) && WTERMSIG(p.status) == SIGINT;
    if (rc != 0 && rc != 130 && !early) return fail(lab, what + ": " + status_text(p.status) + ", want exit 130", p);
    if (rc == 130 && p.out.find("interrupted (SIGINT)") == std::string::npos)
      return fail(lab, what + ": exit 130 without saying it was interrupted", p);
    // A signal after the last change lets the run finish: the lab is up then.
    bool finished = rc == 0 || p.out.find("after every change was applied") != std::string::npos;
    if ((rc == 130 || early) && !on_down && !finished)
      if (auto left = leftovers(m_baseline); !left.empty())
        return fail(
            lab, what + ": an interrupted up left " + left.front() + " (" + std::to_string(left.size()) + " leftovers)",
            p);
    recover(lab, what, p, rc == 130 || early);
  }

  const Tally& tally() const { return m_tally; }

private:
  Proc netlab(std::vector<std::string> args, double delay = -1, int sig = SIGKILL) {
    args.insert(args.begin(), {m_o.netlab, "-q"});
    return run(args, delay, sig);
  }

  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(m_rng); }
  static std::string ms(double s) { return std::to_string(static_cast<int>(s * 1000)) + " ms"; }

  void fail(const Lab& lab, const std::string& what, const Proc& p) {
    ++m_tally.failed;
    std::string line = lab.label + ": " + what;
    m_tally.failures.push_back(line);
    std::printf("FAIL %s\n", line.c_str());
    std::string out = p.out.size() > 2000 ? p.out.substr(p.out.size() - 2000) : p.out;
    if (!out.empty()) std::printf("  output:\n%s\n", out.c_str());
    force_clean(m_baseline);
  }

  /// The rule: status (0 or 3), up (0), status (0), down (0), nothing left.
  void recover(const Lab& lab, const std::string& what, const Proc& hit, bool counted) {
    if (counted && hit.signalled_by_us) ++m_tally.kills_tried;
    Proc s = netlab({"status", lab.file});
    if (exit_code(s) != 0 && exit_code(s) != 3) return fail(lab, what + ": status " + status_text(s.status), s);
    Proc up = netlab({"up", lab.file});
    if (exit_code(up) != 0) return fail(lab, what + ": up " + status_text(up.status), up);
    s = netlab({"status", lab.file});
    if (exit_code(s) != 0) return fail(lab, what + ": status after up " + status_text(s.status), s);
    Proc down = netlab({"down", lab.file});
    if (exit_code(down) != 0) return fail(lab, what + ": down " + status_text(down.status), down);
    if (auto left = leftovers(m_baseline); !left.empty())
      return fail(lab, what + ": down left " + left.front() + " (" + std::to_string(left.size()) + " leftovers)", down);
    ++m_tally.passed;
    if (counted && hit.signalled_by_us) ++m_tally.kills_survived;
    if (m_o.verbose)
      std::printf("ok   %s: %s (%s)\n", lab.label.c_str(), what.c_str(), status_text(hit.status).c_str());
  }

  Options m_o;
  std::map<std::string, std::string> m_baseline;
  std::mt19937_64 m_rng;
  Tally m_tally;
};

Options parse(int argc, char** argv) {
  Options o;
  o.seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--kills")
      o.kills = std::stoi(value());
    else if (a == "--interrupts")
      o.interrupts = std::stoi(value());
    else if (a == "--star")
      o.star = std::stoi(value());
    else if (a == "--netlab")
      o.netlab = value();
    else if (a == "--only")
      o.only = value();
    else if (a == "-v" || a == "--verbose")
      o.verbose = true;
    else if (a == "-h" || a == "--help") {
      std::printf("usage: netlab_faults [--seed S] [--kills N] [--interrupts N] [--star N] [--only star|nat]\n"
                  "                     [--netlab PATH] [-v]\n"
                  "SIGKILLs `netlab up` and `netlab down` N times each per lab at random points, SIGINTs them\n"
                  "--interrupts times, and checks after each that status, up and down recover (ARCHITECTURE.md,\n"
                  "\"Crash recovery\"). Needs root; runs in a private sandbox. Exit 0 when every trial passed.\n");
      std::exit(0);
    } else
      die("unknown argument " + a + " (try --help)");
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "netlab_faults: needs root (it creates namespaces, inside a private sandbox)\n");
    return 77;
  }
  if (!netlab::sandbox::enter("netlab_faults")) return 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("netlab_faults: seed %llu (rerun with --seed %llu), %d kills of up and of down, %d SIGINTs per lab\n",
              static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.seed), o.kills, o.interrupts);
  write_sysctl("net.ipv4.ip_forward", "0"); // so the NAT lab really changes it
  const auto baseline = sysctls_now();

  fs::path dir = fs::temp_directory_path() / ("netlab_faults." + std::to_string(getpid()));
  fs::create_directories(dir);
  std::vector<Lab> labs;
  if (o.only.empty() || o.only == "star") {
    std::ofstream(dir / "star.yaml") << star_yaml(o.star);
    labs.push_back({"star-" + std::to_string(o.star), (dir / "star.yaml").string()});
  }
  if (o.only.empty() || o.only == "nat")
    labs.push_back({"nat", std::string(NETLAB_SOURCE_DIR) + "/topologies/bridge-nat.yaml"});

  auto start = Clock::now();
  Harness h(o, baseline);
  bool calibrated = true;
  for (auto& lab : labs) {
    if (!h.calibrate(lab)) {
      calibrated = false;
      continue;
    }
    for (int i = 0; i < o.kills; ++i)
      h.kill_up(lab, i);
    for (int i = 0; i < o.kills; ++i)
      h.kill_down(lab, i);
    for (int i = 0; i < o.interrupts; ++i)
      h.interrupt(lab, i);
  }
  fs::remove_all(dir);
  fs::remove(log_path());
  const Tally& t = h.tally();
  std::printf("\n%d passed, %d failed\nkills survived/tried: %d/%d (signals that hit a running netlab)\n"
              "time: %.0f s, seed %llu\n",
              t.passed, t.failed, t.kills_survived, t.kills_tried, since(start),
              static_cast<unsigned long long>(o.seed));
  for (const auto& f : t.failures)
    std::printf("failed: %s\n", f.c_str());
  return t.failed == 0 && calibrated ? 0 : 1;
}
