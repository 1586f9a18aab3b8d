// netlab_bench: times `netlab up/status/down` against the equivalent iproute2
// script on star-N labs (N namespaces, each with a veth to one bridge in the
// host namespace, an address and a default route). Everything runs in a private
// network + mount namespace, so nothing the benchmark creates is visible on the
// machine, and all of it vanishes when the process exits.
#include "sandbox.hpp"
#include "star_yaml.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <net/if.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef NETLAB_BINARY
#define NETLAB_BINARY "netlab"
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int k_target_n = 1000;           ///< the size the targets are stated for
constexpr double k_min_speedup = 10.0;     ///< up must be this many times faster than the ip script
constexpr double k_max_noop_s = 0.3;       ///< no-op up and status
constexpr double k_max_down_s = 1.0;
constexpr double k_max_rss_mib = 64.0;
constexpr double k_max_scaling_exponent = 1.2; ///< t ~ N^e; 1.0 is linear, 2.0 quadratic
constexpr auto k_settle_limit = std::chrono::seconds(180);
constexpr auto k_load_wait_limit = std::chrono::seconds(600);
constexpr auto k_chatter_limit = std::chrono::seconds(30);
constexpr auto k_chatter_sample = std::chrono::milliseconds(500);

struct Options {
  std::vector<int> sizes;
  std::string netlab = NETLAB_BINARY;
  std::string ip = "/usr/sbin/ip";
  bool json = false;
  int repeat = 1;
  bool keep = false;
  double max_load = 0; ///< > 0: wait (bounded) for the 1-minute load average to drop this low before each run
  bool ipv6 = false;   ///< `ipv6: true` on every namespace, as the ip script leaves them
};

/// Times of one star-N lab; with --repeat, the best of each column.
struct Row {
  int n = 0;
  double ip_host_s = 0; ///< the host's `ip -batch` part of ip_s (the rest: one `ip -n` process per namespace)
  double ip_s = 0, up_s = 0, noop_s = 0, status_s = 0, down_s = 0;
  double up_cpu = 0, noop_cpu = 0, status_cpu = 0, down_cpu = 0; ///< netlab's user+sys seconds
  double rss_mib = 0; ///< the max over every netlab run (never the best-of)
  double settle_s = 0; ///< waiting for the kernel's namespace cleanup after down (not a netlab cost)
  double load = 0;     ///< 1-minute load average when the (last) run started
  double noop_hot_s = 0; ///< no-op up straight after up, while the lab's IPv6 start-up traffic still runs
  double chatter_s = 0;  ///< how long that traffic lasted (waited for before the timed no-op up and status)
};

/// One finished child process.
struct ProcResult {
  int status = 0;        ///< wait4 status
  double seconds = 0;
  double cpu_seconds = 0; ///< user + system time of the child
  long maxrss_kib = 0;
  std::string out;       ///< stdout, when captured
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netlab_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// ---------------------------------------------------------------- processes

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// fork/exec argv with stdout to /dev/null (or into ProcResult::out), stderr inherited.
ProcResult run(const std::vector<std::string>& argv, bool capture = false) {
  int pipefd[2] = {-1, -1};
  if (capture && pipe2(pipefd, O_CLOEXEC) != 0) die(errno_text("pipe"));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) die(errno_text("fork"));
  if (pid == 0) {
    int out = capture ? pipefd[1] : open("/dev/null", O_WRONLY);
    dup2(out, STDOUT_FILENO);
    execv(args[0], args.data());
    std::fprintf(stderr, "netlab_bench: exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ProcResult r;
  if (capture) {
    close(pipefd[1]);
    char buf[65536];
    for (ssize_t got; (got = read(pipefd[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(got));
    close(pipefd[0]);
  }
  rusage ru{};
  if (wait4(pid, &r.status, 0, &ru) != pid) die(errno_text("wait4"));
  r.seconds = since(start);
  r.maxrss_kib = ru.ru_maxrss;
  auto secs = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  r.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  return r;
}

bool succeeded(const ProcResult& r) { return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0; }

std::string status_text(const ProcResult& r) {
  if (WIFEXITED(r.status)) return "exit " + std::to_string(WEXITSTATUS(r.status));
  if (WIFSIGNALED(r.status)) return std::string("signal ") + strsignal(WTERMSIG(r.status));
  return "status " + std::to_string(r.status);
}

// ---------------------------------------------------------------- the lab, both ways

/// Concatenation by appending: GCC 12 warns falsely (-Wrestrict) on an inlined "lit" + std::string.
template <typename... Parts> std::string cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

using netlab::bench::ns_addr;
using netlab::bench::ns_name;
using netlab::bench::star_yaml;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f.flush()) die("cannot write " + path.string());
}

std::string host_batch(int n) {
  std::string b;
  for (int i = 0; i < n; ++i) b += "netns add " + ns_name(i) + "\n";
  b += "link add br0 type bridge\n";
  for (int i = 0; i < n; ++i) {
    std::string v = cat("v", std::to_string(i));
    b += "link add " + v + " type veth peer name eth0 netns " + ns_name(i) + "\n";
    b += "link set " + v + " master br0\nlink set " + v + " up\n";
  }
  b += "addr add 10.0.0.1/16 dev br0\nlink set br0 up\n";
  return b;
}

std::string ns_batch(int i) {
  return "link set lo up\nlink set eth0 up\naddr add " + ns_addr(i) + "/16 dev eth0\nroute add default via 10.0.0.1\n";
}

/// The files of one star-N lab in a fresh temp dir.
struct LabFiles {
  fs::path dir, yaml, host;
  std::vector<fs::path> ns;
};

LabFiles write_lab(int n, bool ipv6) {
  char tmpl[] = "/tmp/netlab-bench-XXXXXX";
  if (!mkdtemp(tmpl)) die(errno_text("mkdtemp"));
  LabFiles f{tmpl, fs::path(tmpl) / ("star-" + std::to_string(n) + ".yaml"), fs::path(tmpl) / "host.batch", {}};
  write_file(f.yaml, star_yaml(n, ipv6));
  write_file(f.host, host_batch(n));
  for (int i = 0; i < n; ++i) {
    f.ns.push_back(fs::path(tmpl) / (ns_name(i) + ".batch"));
    write_file(f.ns.back(), ns_batch(i));
  }
  return f;
}

// ---------------------------------------------------------------- kernel state checks

std::vector<std::string> netns_entries() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator("/run/netns")) out.push_back(e.path().filename());
  return out;
}

/// Links of the sandbox's host namespace, read in-process (if_nameindex asks netlink).
std::vector<std::string> host_links() {
  std::vector<std::string> out;
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (auto* p = list; p->if_index != 0; ++p) out.emplace_back(p->if_name);
    if_freenameindex(list);
  }
  return out;
}

bool host_clean() {
  auto links = host_links();
  return netns_entries().empty() && links.size() == 1 && links[0] == "lo";
}

/// Namespace teardown is asynchronous: the kernel deletes a dead namespace's links
/// from a workqueue. Wait for it so it does not eat the next step's CPU.
double settle(const std::string& after) {
  auto start = Clock::now();
  while (!host_clean()) {
    if (Clock::now() - start > k_settle_limit)
      die("after " + after + ": " + std::to_string(netns_entries().size()) + " /run/netns entries and " +
          std::to_string(host_links().size()) + " links still there");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return since(start);
}

/// What `netlab down` must leave behind: no namespace entry, no link tagged netlab.
void check_nothing_left(const Options& o) {
  if (auto left = netns_entries(); !left.empty())
    die("after netlab down: " + std::to_string(left.size()) + " /run/netns entries left, e.g. " + left[0]);
  ProcResult links = run({o.ip, "-o", "link", "show"}, true);
  if (links.out.find("alias netlab") != std::string::npos) die("after netlab down: a link with alias netlab is left");
}

/// The machine's 1-minute load average (other processes compete for 2 cores and the global RTNL lock).
double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

/// With --max-load, waits (bounded) until the machine is quiet enough; returns the load at the start.
double wait_for_idle_machine(const Options& o) {
  auto start = Clock::now();
  while (o.max_load > 0 && load_average() > o.max_load && Clock::now() - start < k_load_wait_limit)
    std::this_thread::sleep_for(std::chrono::seconds(5));
  return load_average();
}

/// Packets br0 has received so far (/proc/net is the reading thread's namespace: the sandbox's host).
long bridge_rx_packets() {
  std::ifstream dev("/proc/net/dev");
  for (std::string line; std::getline(dev, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find("br0") == std::string::npos) continue;
    long bytes = 0, packets = 0;
    std::istringstream(line.substr(colon + 1)) >> bytes >> packets;
    return packets;
  }
  return 0;
}

/// Right after up, every namespace runs IPv6 duplicate address detection, router
/// solicitations and MLD reports; the bridge floods each to all N ports (N^2
/// deliveries, partly under the RTNL lock that netlink dumps need too). Waits,
/// bounded, until br0 sees almost no packets, so no-op up and status measure a lab at rest.
double wait_for_lab_quiet(int n) {
  auto start = Clock::now();
  const long threshold = std::max(10, n / 50);
  int calm = 0;
  for (long before = bridge_rx_packets(); calm < 2 && Clock::now() - start < k_chatter_limit;) {
    std::this_thread::sleep_for(k_chatter_sample);
    long now = bridge_rx_packets();
    calm = now - before < threshold ? calm + 1 : 0;
    before = now;
  }
  return since(start);
}

// ---------------------------------------------------------------- one measurement

ProcResult must_run(const std::vector<std::string>& argv, const std::string& what) {
  ProcResult r = run(argv);
  if (!succeeded(r)) die(what + " failed (" + status_text(r) + ")");
  return r;
}

double time_ip_script(const Options& o, const LabFiles& f, double& host_s) {
  auto start = Clock::now();
  must_run({o.ip, "-batch", f.host}, "ip -batch " + f.host.string());
  host_s = since(start);
  for (size_t i = 0; i < f.ns.size(); ++i) must_run({o.ip, "-n", ns_name(int(i)), "-batch", f.ns[i]}, "ip -n " + ns_name(int(i)));
  double s = since(start);
  must_run({o.ip, "-all", "netns", "delete"}, "ip -all netns delete");
  must_run({o.ip, "link", "del", "br0"}, "ip link del br0");
  settle("the ip script's teardown");
  return s;
}

/// Runs netlab VERB FILE, which must exit 0; sets its CPU time, folds its peak RSS into row.rss_mib.
double time_netlab(const Options& o, const std::string& verb, const LabFiles& f, Row& row, double& cpu) {
  ProcResult r = run({o.netlab, "-q", verb, f.yaml});
  if (!succeeded(r)) die("netlab " + verb + " " + f.yaml.string() + " failed (" + status_text(r) + ")");
  row.rss_mib = std::max(row.rss_mib, double(r.maxrss_kib) / 1024.0);
  cpu = r.cpu_seconds;
  return r.seconds;
}

/// The second up must find nothing to do; checked untimed with `plan --json`.
void check_converged(const Options& o, const LabFiles& f) {
  ProcResult r = run({o.netlab, "--json", "plan", f.yaml}, true);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!succeeded(r) || j.is_discarded() || !j["changes"].empty())
    die("after two `netlab up`s, `netlab plan` still has changes:\n" + r.out);
}

Row measure_once(const Options& o, int n, const LabFiles& f) {
  Row row{.n = n};
  settle("the previous run");
  row.load = wait_for_idle_machine(o);
  row.ip_s = time_ip_script(o, f, row.ip_host_s);
  row.up_s = time_netlab(o, "up", f, row, row.up_cpu);
  double unused_cpu = 0;
  row.noop_hot_s = time_netlab(o, "up", f, row, unused_cpu);
  row.chatter_s = wait_for_lab_quiet(n);
  row.noop_s = time_netlab(o, "up", f, row, row.noop_cpu);
  check_converged(o, f);
  row.status_s = time_netlab(o, "status", f, row, row.status_cpu);
  row.down_s = time_netlab(o, "down", f, row, row.down_cpu);
  check_nothing_left(o);
  row.settle_s = settle("netlab down");
  return row;
}

Row measure(const Options& o, int n) {
  LabFiles f = write_lab(n, o.ipv6);
  Row best;
  for (int r = 0; r < o.repeat; ++r) {
    if (!o.json) std::fprintf(stderr, "star-%d: run %d/%d\n", n, r + 1, o.repeat);
    Row row = measure_once(o, n, f);
    if (r == 0) {
      best = row;
      continue;
    }
    for (auto m : {&Row::ip_s, &Row::up_s, &Row::noop_s, &Row::status_s, &Row::down_s, &Row::settle_s, &Row::up_cpu,
                   &Row::noop_cpu, &Row::status_cpu, &Row::down_cpu, &Row::noop_hot_s, &Row::chatter_s, &Row::ip_host_s})
      best.*m = std::min(best.*m, row.*m);
    best.rss_mib = std::max(best.rss_mib, row.rss_mib);
    best.load = row.load;
  }
  if (!o.keep) fs::remove_all(f.dir);
  return best;
}

// ---------------------------------------------------------------- verdicts

/// One target: a measured value against a limit (value <= limit, or >= for speedups).
struct Target {
  std::string name;
  double value;
  double limit;
  bool at_least;
  bool pass() const { return at_least ? value >= limit : value <= limit; }
};

/// t ~ N^e between the smallest and the largest lab.
double exponent(double t_small, double t_large, int n_small, int n_large) {
  return std::log(t_large / t_small) / std::log(double(n_large) / double(n_small));
}

std::vector<Target> targets(const std::vector<Row>& rows) {
  auto at = std::ranges::find(rows, k_target_n, &Row::n);
  const Row& r = at != rows.end() ? *at : rows.back();
  std::string tag = "star-" + std::to_string(r.n) + " ";
  std::vector<Target> out{
      {tag + "up speedup over the ip script (x)", r.ip_s / r.up_s, k_min_speedup, true},
      {tag + "no-op up (s)", r.noop_s, k_max_noop_s, false},
      {tag + "status (s)", r.status_s, k_max_noop_s, false},
      {tag + "down (s)", r.down_s, k_max_down_s, false},
      {tag + "peak RSS (MiB)", r.rss_mib, k_max_rss_mib, false},
  };
  const Row& a = rows.front();
  const Row& b = rows.back();
  if (b.n > a.n)
    for (auto [name, m] : {std::pair{"up", &Row::up_s}, {"no-op up", &Row::noop_s}, {"status", &Row::status_s},
                           {"down", &Row::down_s}})
      out.push_back({std::string("scaling exponent of ") + name + " (t ~ N^e)", exponent(a.*m, b.*m, a.n, b.n),
                     k_max_scaling_exponent, false});
  return out;
}

std::string machine() {
  utsname u{};
  uname(&u);
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);)
    if (line.starts_with("model name")) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, Linux " + u.release;
}

// ---------------------------------------------------------------- output

void print_table(const std::vector<Row>& rows, const std::vector<Target>& ts) {
  std::printf("machine: %s\n\n", machine().c_str());
  std::printf("| N | ip script s | netlab up s | ratio (ip/netlab) | no-op up s | status s | down s | peak RSS MiB |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf("| %d | %.3f | %.3f | %.1fx | %.3f | %.3f | %.3f | %.1f |\n", r.n, r.ip_s, r.up_s, r.ip_s / r.up_s,
                r.noop_s, r.status_s, r.down_s, r.rss_mib);
  std::printf("\nnetlab CPU time (user+sys) s, the rest of the wall time is waiting (kernel RCU, other processes):\n");
  std::printf("| N | up | no-op up | status | down |\n|---:|---:|---:|---:|---:|\n");
  for (const auto& r : rows)
    std::printf("| %d | %.3f | %.3f | %.3f | %.3f |\n", r.n, r.up_cpu, r.noop_cpu, r.status_cpu, r.down_cpu);
  const Row& a = rows.front();
  const Row& b = rows.back();
  if (b.n > a.n) {
    std::printf("\nscaling t(%d)/t(%d) (N grew %.0fx): ip script %.1fx, up %.1fx, no-op up %.1fx, status %.1fx, "
                "down %.1fx\n",
                b.n, a.n, double(b.n) / a.n, b.ip_s / a.ip_s, b.up_s / a.up_s, b.noop_s / a.noop_s,
                b.status_s / a.status_s, b.down_s / a.down_s);
  }
  std::printf("\ntargets:\n");
  for (const auto& t : ts)
    std::printf("  %-4s %-46s %8.3f  (%s %.3g)\n", t.pass() ? "PASS" : "MISS", t.name.c_str(), t.value,
                t.at_least ? ">=" : "<=", t.limit);
  std::printf("\nafter each down, the kernel's asynchronous namespace cleanup took (not counted):");
  for (const auto& r : rows) std::printf(" star-%d %.2f s", r.n, r.settle_s);
  std::printf("\nno-op up straight after up (during the lab's IPv6 start-up traffic, which lasted):");
  for (const auto& r : rows) std::printf(" star-%d %.3f s (%.1f s)", r.n, r.noop_hot_s, r.chatter_s);
  std::printf("\nip script, of which the host's single `ip -batch` (the rest is one `ip -n NS -batch` per namespace):");
  for (const auto& r : rows) std::printf(" star-%d %.3f of %.3f s", r.n, r.ip_host_s, r.ip_s);
  std::printf("\n1-minute load average when the last run of each size started:");
  for (const auto& r : rows) std::printf(" star-%d %.2f", r.n, r.load);
  std::printf("\n");
}

void print_json(const std::vector<Row>& rows, const std::vector<Target>& ts) {
  nlohmann::json j{{"machine", machine()}, {"runs", nlohmann::json::array()}, {"targets", nlohmann::json::array()}};
  for (const auto& r : rows)
    j["runs"].push_back({{"n", r.n}, {"ip_script_s", r.ip_s}, {"up_s", r.up_s}, {"ratio", r.ip_s / r.up_s},
                         {"noop_up_s", r.noop_s}, {"status_s", r.status_s}, {"down_s", r.down_s},
                         {"peak_rss_mib", r.rss_mib}, {"settle_after_down_s", r.settle_s}, {"load", r.load},
                         {"noop_up_right_after_up_s", r.noop_hot_s}, {"ipv6_startup_traffic_s", r.chatter_s},
                         {"ip_script_host_batch_s", r.ip_host_s},
                         {"cpu_s", {{"up", r.up_cpu}, {"noop_up", r.noop_cpu}, {"status", r.status_cpu},
                                    {"down", r.down_cpu}}}});
  const Row& a = rows.front();
  const Row& b = rows.back();
  if (b.n > a.n)
    j["scaling"] = {{"from", a.n}, {"to", b.n}, {"ip_script", b.ip_s / a.ip_s}, {"up", b.up_s / a.up_s},
                    {"noop_up", b.noop_s / a.noop_s}, {"status", b.status_s / a.status_s},
                    {"down", b.down_s / a.down_s}};
  for (const auto& t : ts)
    j["targets"].push_back({{"name", t.name}, {"value", t.value}, {"limit", t.limit},
                            {"at_least", t.at_least}, {"pass", t.pass()}});
  std::printf("%s\n", j.dump(2).c_str());
}

// ---------------------------------------------------------------- main

void usage() {
  std::printf("usage: netlab_bench [--netlab PATH] [--ip PATH] [--repeat R] [--max-load L] [--json] [--keep] [--ipv6] [N...]\n"
              "  Times the iproute2 script and netlab up/no-op up/status/down on star-N labs\n"
              "  (default N: 100 500 1000), in a private network namespace. Needs root.\n"
              "  --repeat R    run each size R times, report the best time of each column\n"
              "  --max-load L  before each run, wait (up to 10 min) for the 1-minute load average to be <= L\n"
              "  --keep        keep the generated YAML and ip batch files in /tmp/netlab-bench-*\n"
              "  --ipv6        give every namespace IPv6 (`ipv6: true`), as the ip script does; by default\n"
              "                the IPv4-only star's namespaces get none, netlab's default\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(std::string(a) + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else if (a == "--netlab") {
      o.netlab = value();
    } else if (a == "--ip") {
      o.ip = value();
    } else if (a == "--ipv6") {
      o.ipv6 = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--max-load") {
      o.max_load = std::atof(value().c_str());
    } else if (a == "--repeat") {
      o.repeat = std::atoi(value().c_str());
      if (o.repeat < 1) die("--repeat needs a positive count");
    } else {
      int n = std::atoi(argv[i]);
      if (n < 1 || n > 60000) die("not a lab size (1..60000): " + std::string(a));
      o.sizes.push_back(n);
    }
  }
  if (o.sizes.empty()) o.sizes = {100, 500, 1000};
  std::ranges::sort(o.sizes);
  o.netlab = fs::absolute(o.netlab);
  if (access(o.netlab.c_str(), X_OK) != 0) die(errno_text(o.netlab.c_str()));
  return o;
}

} // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  netlab::bench::enter_sandbox("netlab_bench");
  std::vector<Row> rows;
  for (int n : o.sizes) rows.push_back(measure(o, n));
  auto ts = targets(rows);
  if (o.json)
    print_json(rows, ts);
  else
    print_table(rows, ts);
  return 0;
}
