#pragma once
// What the end-to-end tests share: run the netlab binary (or a shell command)
// inside the test's sandbox, pick the change lines out of its output, and
// check that a lab left nothing behind. NETLAB_BINARY and NETLAB_SOURCE_DIR
// are compile definitions of the integration test binary.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace nltest {

namespace fs = std::filesystem;

/// Exit code and output of one command.
struct Run {
  int rc = -1;
  std::string out; ///< stdout and stderr together
};

/// Runs `cmd` through the shell.
inline Run sh(const std::string& cmd) {
  Run r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// Runs the netlab binary with `args`.
inline Run netlab(const std::string& args) {
  Run r = sh(std::string(NETLAB_BINARY) + " " + args);
  UNSCOPED_INFO("$ netlab " << args << "  -> " << r.rc << "\n" << r.out);
  return r;
}

/// Path of a shipped topology.
inline std::string topology(const std::string& name) { return std::string(NETLAB_SOURCE_DIR) + "/topologies/" + name; }

/// `text` split into lines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The change lines of an `up`/`down` run (+, - and ~), in order.
inline std::vector<std::string> changes(const std::string& out) {
  std::vector<std::string> c;
  for (const auto& l : lines_of(out))
    if (l.size() > 2 && (l[0] == '+' || l[0] == '-' || l[0] == '~') && l[1] == ' ') c.push_back(l);
  return c;
}

/// The names in /run/netns (what `ip netns list` shows).
inline std::set<std::string> netns_names() {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) names.insert(e.path().filename().string());
  return names;
}

/// No namespace but `kept` (those made before the lab), no tagged link, no nft
/// table, no state dir (the lock files in .lock and .locks/ stay): the lab left nothing.
inline void require_nothing_left(const std::set<std::string>& kept = {}) {
  CHECK(netns_names() == kept);
  CHECK(sh("ip -o link show | grep -c 'alias netlab' || true").out == "0\n");
  CHECK(sh("nft list tables | grep -c netlab || true").out == "0\n");
  for (const auto& e : fs::directory_iterator("/run/netlab")) {
    CHECK((e.path().filename() == ".lock" || e.path().filename() == ".locks")); // lock files stay, empty of state
    CHECK_FALSE(fs::is_symlink(e.symlink_status()));
  }
}

/// Writes `text` to a temp file named after this process and `name`, in the sandbox's own
/// /tmp (a tmpfs of sandbox_main.cpp), so it goes with the process even if a test fails.
inline std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("netlab-it-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p.string();
}

/// A whole file as a string.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// up -> checks pass -> second up changes nothing -> status converged -> down ->
/// nothing left. Namespaces that exist before (for external nodes) must survive.
/// `after_up` runs between up and test (to start what a lab's checks need, a program in a node).
inline void lifecycle(const std::string& file, const std::function<void()>& after_up = {}) {
  const std::set<std::string> kept = netns_names();
  Run up = netlab("up " + topology(file));
  REQUIRE(up.rc == 0);
  CHECK_FALSE(changes(up.out).empty());
  if (after_up) after_up();
  Run test = netlab("test " + topology(file));
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains(" 0 failed"));
  Run again = netlab("up " + topology(file));
  CHECK(again.rc == 0);
  CHECK(changes(again.out).empty());
  CHECK_THAT(again.out, Catch::Contains("no changes"));
  Run status = netlab("status " + topology(file));
  CHECK(status.rc == 0);
  Run down = netlab("down " + topology(file));
  CHECK(down.rc == 0);
  require_nothing_left(kept);
}

} // namespace nltest
