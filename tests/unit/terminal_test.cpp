// The CLI's pure helpers: colour and progress text, capability parsing, the -vv
// lines of an observed namespace, and the log level switch.
#include <netlab/kernel/state.hpp>
#include <netlab/report/terminal.hpp>
#include <netlab/util/caps.hpp>
#include <netlab/util/log.hpp>

#include <catch2/catch.hpp>

using namespace netlab;

TEST_CASE("colour follows --color, the terminal and NO_COLOR", "[terminal]") {
  CHECK(use_color(ColorMode::automatic, true, nullptr));
  CHECK(use_color(ColorMode::automatic, true, ""));
  CHECK_FALSE(use_color(ColorMode::automatic, true, "1"));
  CHECK_FALSE(use_color(ColorMode::automatic, false, nullptr));
  CHECK(use_color(ColorMode::always, false, "1"));
  CHECK_FALSE(use_color(ColorMode::never, true, nullptr));
  CHECK(parse_color_mode("always") == ColorMode::always);
  CHECK(parse_color_mode("never") == ColorMode::never);
  CHECK(parse_color_mode("auto") == ColorMode::automatic);
}

TEST_CASE("change lines are green, red and yellow, plain without colour", "[terminal]") {
  CHECK(paint_change("+ netns ns1", true) == "\x1b[32m+ netns ns1\x1b[0m");
  CHECK(paint_change("- netns ns1", true) == "\x1b[31m- netns ns1\x1b[0m");
  CHECK(paint_change("~ ns1:lo up", true) == "\x1b[33m~ ns1:lo up\x1b[0m");
  CHECK(paint_change("+ netns ns1", false) == "+ netns ns1");
  CHECK(paint_change("note: x", true) == "note: x");
  CHECK(paint_finding("ok ns1", Finding::State::ok, true) == "ok ns1");
  CHECK(paint_finding("missing ns1", Finding::State::missing, true) == "\x1b[31mmissing ns1\x1b[0m");
  CHECK(paint_finding("different x", Finding::State::different, false) == "different x");
}

TEST_CASE("a long plan on a terminal shows progress, verbose or quiet runs, pipes and short plans every line",
          "[terminal]") {
  CHECK(show_progress(true, 0, false, 51));
  CHECK_FALSE(show_progress(true, 0, false, 50));
  CHECK_FALSE(show_progress(false, 0, false, 5000));
  CHECK_FALSE(show_progress(true, 1, false, 5000));
  CHECK_FALSE(show_progress(true, 0, true, 5000));
}

TEST_CASE("the progress line has done/total, percent, rate and ETA", "[terminal]") {
  CHECK(progress_line(0, 4000, 0) == "0/4000 changes  0%");
  CHECK(progress_line(1000, 4000, 0.5) == "1000/4000 changes  25%  2000/s  ETA 2s");
  CHECK(progress_line(4000, 4000, 2) == "4000/4000 changes  100%  2000/s  ETA 0s");
}

TEST_CASE("the effective capabilities come from CapEff", "[caps]") {
  const char* root = "Name:\tnetlab\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
                     "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
  CHECK(parse_cap_eff(root) == 0x1ffffffffffULL);
  CHECK(parse_cap_eff("CapEff:\t0000000000000000\n") == 0u);
  CHECK(parse_cap_eff("CapEff:\t0000000000201000") == (1ULL << k_cap_net_admin | 1ULL << k_cap_sys_admin));
  CHECK_FALSE(parse_cap_eff("Name:\tx\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\tzz\n"));
}

TEST_CASE("very verbose runs describe each observed object on one line", "[log]") {
  ObservedNs ns;
  ns.exists = true;
  ns.owner = "netlab:lab";
  ns.lo_up = true;
  ObservedLink l;
  l.name = "vethB";
  l.kind = LinkKind::veth;
  l.up = true;
  l.mtu = 1500;
  l.mac = "02:00:00:00:00:01";
  l.addresses.push_back(*Cidr::parse("10.0.0.1/24"));
  ns.links.push_back(l);
  ns.routes.push_back(ObservedRoute{*Cidr::parse("0.0.0.0/0"), IpAddr::parse("10.0.0.254"), {}, 0, k_route_protocol});
  auto lines = describe_observed(ns);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "namespace owner netlab:lab lo up");
  CHECK(lines[1] == "link vethB veth up mtu 1500 mac 02:00:00:00:00:01 10.0.0.1/24");
  CHECK(lines[2] == "route 0.0.0.0/0 via 10.0.0.254 metric 0");
  CHECK(describe_observed(ObservedNs{}) == std::vector<std::string>{"(does not exist)"});
}

TEST_CASE("the log level decides what is logged", "[log]") {
  set_log_level(LogLevel::error);
  CHECK(log_enabled(LogLevel::error));
  CHECK_FALSE(log_enabled(LogLevel::warn));
  set_log_level(LogLevel::debug);
  CHECK(log_enabled(LogLevel::debug));
  CHECK_FALSE(log_enabled(LogLevel::trace));
  set_log_level(LogLevel::trace);
  CHECK(log_enabled(LogLevel::trace));
  set_log_level(LogLevel::warn);
  CHECK_FALSE(log_enabled(LogLevel::debug));
  CHECK(format_ms(0.4242) == "0.42 ms");
  CHECK(format_ms(42.42) == "42.4 ms");
  CHECK(format_ms(424.2) == "424 ms");
}
