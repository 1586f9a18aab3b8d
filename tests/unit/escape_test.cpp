#include "unit.hpp"

#include <catch2/catch.hpp>
#include <netlab/apply/state_store.hpp>
#include <netlab/kernel/nft.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>

using namespace netlab;

TEST_CASE("escape_for_terminal shows control bytes as hex escapes", "[escape]") {
  CHECK(escape_for_terminal("bridge-nat_1.x") == "bridge-nat_1.x");
  CHECK(escape_for_terminal("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(escape_for_terminal("line\nnext\r\t") == "line\\x0anext\\x0d\\x09");
  CHECK(escape_for_terminal(std::string_view("nul\0x", 5)) == "nul\\x00x");
  CHECK(escape_for_terminal("del\x7f") == "del\\x7f");
  CHECK(escape_for_terminal("back\\slash") == "back\\\\slash");
  CHECK(escape_for_terminal("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac"); // valid UTF-8 stays
  CHECK(escape_for_terminal("csi\xc2\x9b"
                            "31m") == "csi\\xc2\\x9b31m");         // C1 CSI as UTF-8
  CHECK(escape_for_terminal("raw\x9b") == "raw\\x9b");             // lone C1 byte
  CHECK(escape_for_terminal("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
  CHECK(escape_for_terminal("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // surrogate
  CHECK(escape_for_terminal("cut\xe2\x82") == "cut\\xe2\\x82");    // truncated
}

TEST_CASE("lab_name_problem: lab names never reach outside their state dir", "[escape][validate]") {
  for (const char* good : {"bridge-nat", "a", "lab_1.v2", "1lab"}) {
    INFO(good);
    CHECK_FALSE(lab_name_problem(good));
  }
  for (const char* bad : {"", ".", "..", "../victim", "a/b", "/abs", ".hidden", "-x", "a..b", "x y", "tab\t",
                          "esc\x1b[0m", "new\nline", "netlab:x", "\xc3\xa9"}) {
    INFO(bad);
    CHECK(lab_name_problem(bad));
  }
  CHECK(lab_name_problem(std::string(33, 'a')));
  CHECK_FALSE(lab_name_problem(std::string(32, 'a')));
  // The message itself is escaped: it is printed as is.
  CHECK(lab_name_problem("a\x1b")->find('\x1b') == std::string::npos);
}

TEST_CASE("the state store refuses a bad lab name before it builds a path", "[escape][state]") {
  // Defence in depth: every entry point checks the name first, so these touch no file.
  for (const char* bad : {"..", ".", "../victim", "a/b", ""}) {
    INFO(bad);
    auto loaded = load_lab_state(bad);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().code == ExitCode::usage);
    LabState s;
    s.lab = bad;
    CHECK_FALSE(save_lab_state(s));
    CHECK_FALSE(remove_lab_state(bad));
    CHECK_FALSE(RunLock::lab(bad, LockMode::exclusive, LockWait{}));
  }
}

TEST_CASE("an unmarked nft table with the lab's name is a conflict for up and left alone by down", "[escape][nat]") {
  test::Lab lab;
  const Topology t = test::parse(R"(
name: x
nodes:
  host:
    kind: host
    nat: [{masquerade: {source: 10.0.0.0/24}}]
)");
  // A user's table: their own chain, no netlab mark.
  lab.kernel.nodes["host"].nat_table =
      R"([{"table":{"family":"inet","name":"netlab-x"}},{"chain":{"family":"inet","name":"mine","table":"netlab-x"}}])";
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message ==
        "nft table inet netlab-x in node 'host' exists and is not netlab's; nothing was changed");
  // down (an empty lab) plans nothing for it.
  const Topology nothing = netlab::test::empty_lab("x");
  LabState memory;
  memory.lab = "x";
  memory.nodes.push_back(NsRef{"host", NodeKind::host, {}});
  memory.nat_nodes.push_back("host");
  auto down = plan_lab(lab.kernel, nothing, memory);
  REQUIRE(down);
  CHECK(down->actions.empty());
  // netlab's own table (marked) is replaced and removed as before.
  lab.kernel.nodes["host"].nat_table.reset();
  lab.up(t);
  CHECK(nat_table_marked(*lab.kernel.nodes["host"].nat_table, "netlab-x"));
  auto again = plan_lab(lab.kernel, nothing, memory);
  REQUIRE(again);
  CHECK(test::lines(*again) == test::Lines{"- nat host: table netlab-x"});
}

TEST_CASE("a conflict names a hostile alias escaped", "[escape]") {
  test::Lab lab;
  ObservedLink l;
  l.name = "br0";
  l.ifindex = 42;
  l.kind = LinkKind::bridge;
  l.alias = "evil\x1b[2J\nnext";
  lab.kernel.nodes["host"].links.push_back(l);
  l.name = "br1";
  l.ifindex = 43;
  l.alias = "netlab:y\x1b[0m";
  lab.kernel.nodes["host"].links.push_back(l);
  auto plan = plan_lab(lab.kernel, test::parse(R"(
name: x
nodes:
  host:
    kind: host
    interfaces: {br0: {kind: bridge}, br1: {kind: bridge}}
)"),
                       lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("alias 'evil\\x1b[2J\\x0anext'"));
  CHECK_THAT(plan.error().message, Catch::Contains("owned by lab 'y\\x1b[0m'"));
  CHECK(plan.error().message.find('\x1b') == std::string::npos);
}
