#include <catch2/catch.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>

using namespace netlab;

TEST_CASE("escape_for_terminal shows control bytes as \\xNN", "[escape]") {
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
