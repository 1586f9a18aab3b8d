// Hostile input: `netlab validate` refuses files past the loader's limits with a
// clear message and exit 2, and never grows past 512 MB doing it (peak RSS of
// the child, from wait4). Needs no kernel object; it runs here beside the CLI tests.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace nltest;

namespace {

/// Exit code, output and peak RSS of one `netlab validate FILE`.
struct Measured {
  int rc = -1;
  std::string out;
  long max_rss_kb = 0;
};

Measured validate(const std::string& file) {
  std::string out_path = file + ".out";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(NETLAB_BINARY, NETLAB_BINARY, "validate", file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  Measured m{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out_path), usage.ru_maxrss};
  fs::remove(out_path);
  UNSCOPED_INFO("$ netlab validate " << file << " -> " << m.rc << ", peak " << m.max_rss_kb / 1024 << " MB\n"
                                     << m.out.substr(0, 2000));
  return m;
}

// AddressSanitizer (the build of scripts/test.sh, CI's) keeps shadow memory and a
// quarantine of freed blocks: the same run takes 3 to 5 times the memory of the
// Release binary (measured: 292 MB -> 902 MB at the worst input). The bounds are the
// Release binary's, scaled by 4 there; the point stays: hundreds of MB, never the
// 4 GB a hostile file took before.
#if defined(__SANITIZE_ADDRESS__)
constexpr long k_rss_scale = 4;
#else
constexpr long k_rss_scale = 1;
#endif
constexpr long k_rss_limit_kb = 512 * 1024 * k_rss_scale;

/// A file of `count` checks, as in the report: 32 bytes and 5 values each.
std::string checks_file(const std::string& name, std::size_t count) {
  std::string text = "name: big\nnodes:\n  ns1:\nchecks:\n";
  text.reserve(text.size() + count * 32);
  for (std::size_t i = 0; i < count; ++i)
    text += "  - {from: ns1, ping: 10.0.0.1}\n";
  return write_temp(name, text);
}

} // namespace

TEST_CASE("a 50 MB file is refused before it is parsed", "[cli][limits]") {
  auto file = checks_file("huge.yaml", 1'600'000);
  Measured m = validate(file);
  CHECK(m.rc == 2);
  CHECK_THAT(m.out, Catch::Contains(file + ": file is larger than 16 MiB (51200032 bytes)"));
  CHECK(m.max_rss_kb < 64 * 1024 * k_rss_scale);
  fs::remove(file);
}

TEST_CASE("too many values: refused where the limit is passed, in bounded memory", "[cli][limits]") {
  // 16 MB of block-style checks: 2.5 M values; the millionth stops the parse.
  std::string text = "name: big\nnodes:\n  ns1:\nchecks:\n";
  for (int i = 0; i < 500'000; ++i)
    text += "  - from: ns1\n    ping: 10.0.0.1\n";
  auto file = write_temp("many.yaml", text);
  Measured m = validate(file);
  CHECK(m.rc == 2);
  CHECK_THAT(m.out, Catch::Contains("the file holds more than 1000000 values"));
  CHECK_THAT(m.out, Catch::Contains("many.yaml:4000")); // line 400,00x: 5 values a check on 2 lines
  CHECK(m.max_rss_kb < k_rss_limit_kb);
  fs::remove(file);
  // The same in flow style passes the count of '{' first.
  file = checks_file("many-flow.yaml", 520'000);
  m = validate(file);
  CHECK(m.rc == 2);
  CHECK_THAT(m.out, Catch::Contains("many-flow.yaml:500005:5: more than 500000 '[' and '{' in the file"));
  CHECK(m.max_rss_kb < k_rss_limit_kb);
  fs::remove(file);
}

TEST_CASE("just under the value limit: validated whole, in bounded memory", "[cli][limits]") {
  auto file = checks_file("under.yaml", 199'000); // 995,000 values, all valid
  Measured m = validate(file);
  CHECK(m.rc == 0);
  CHECK(m.max_rss_kb < k_rss_limit_kb);
  fs::remove(file);
}

TEST_CASE("alias bombs, deep nesting and one huge scalar stay bounded", "[cli][limits]") {
  // Each anchor repeats the one before ten times: 10^9 values from nine lines.
  std::string bomb = "name: bomb\nnodes:\n  ns1:\nchecks: &a [{from: ns1, ping: 10.0.0.1}]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string("x") + c + ": &" + c + " [";
    for (int i = 0; i < 10; ++i)
      bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  auto files = std::vector<std::string>{
      write_temp("bomb.yaml", bomb),
      write_temp("deep.yaml", "name: deep\nnodes: " + std::string(16'000'000, '[')),
      write_temp("deep-under.yaml", "name: deep\nnodes: " + std::string(499'000, '[')),
      write_temp("mixed.yaml",
                 [] {
                   std::string t = "name: mixed\nnodes: ";
                   for (int i = 0; i < 4'000'000; ++i)
                     t += "[{";
                   return t;
                 }()),
      write_temp("scalar.yaml", "name: " + std::string(16'000'000, 'x') + "\nnodes:\n  ns1:\n"),
      write_temp("keys.yaml",
                 [] {
                   std::string t = "name: keys\nnodes:\n";
                   for (int i = 0; i < 480'000; ++i)
                     t += "  n" + std::to_string(i) + ":\n"; // 960,000 values
                   return t;
                 }()),
  };
  for (const auto& file : files) {
    Measured m = validate(file);
    CHECK(m.rc == (file.ends_with("keys.yaml") ? 0 : 2));
    CHECK(m.max_rss_kb < k_rss_limit_kb);
    CHECK(std::ranges::count(m.out, '\n') < 20); // one clear message, not one per copy
    fs::remove(file);
  }
}

TEST_CASE("a bridge of 1025 ports is refused by up before any change", "[cli][limits]") {
  // The kernel numbers bridge ports 1..1023; before this check, port 1024 failed after every
  // namespace and link before it had been made, and all of it was rolled back.
  std::string text = "name: star\nnodes:\n  host:\n    kind: host\n    interfaces:\n      br0: {kind: bridge}\n";
  for (int i = 0; i < 1025; ++i)
    text += "      h" + std::to_string(i) + ": {master: br0}\n";
  for (int i = 0; i < 1025; ++i)
    text += "  n" + std::to_string(i) + ":\n";
  text += "links:\n";
  for (int i = 0; i < 1025; ++i)
    text += "  - [host:h" + std::to_string(i) + ", n" + std::to_string(i) + ":e0]\n";
  auto file = write_temp("star-1025.yaml", text);
  Run up = netlab("up " + file);
  CHECK(up.rc == 2);
  CHECK_THAT(up.out, Catch::Contains(file + ":1030:23: bridge 'br0' of node 'host' has 1025 ports; the kernel allows "
                                            "at most 1023 (this is port 1024)"));
  require_nothing_left();
  fs::remove(file);
}
