// The lab's texts in the reader's language: --lang, else LC_ALL, LC_MESSAGES,
// LANG (the sandbox unsets them all, so each command here sets its own), on the
// shipped labs, which speak English and Chinese.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using namespace nltest;

namespace {

/// netlab `args` with the environment assignments `env` ("LANG=zh_CN.UTF-8 ...") before it.
Run netlab_env(const std::string& env, const std::string& args) {
  Run r = sh(env + " " + std::string(NETLAB_BINARY) + " " + args);
  UNSCOPED_INFO("$ " << env << " netlab " << args << "  -> " << r.rc << "\n" << r.out);
  return r;
}

/// Only stdout: one JSON document.
nlohmann::json json_of(const std::string& args, int rc) {
  Run r = sh("{ " + std::string(NETLAB_BINARY) + " --json " + args + " 2>/dev/null; }");
  UNSCOPED_INFO("$ netlab --json " << args << "  -> " << r.rc << "\n" << r.out);
  CHECK(r.rc == rc);
  return nlohmann::json::parse(r.out, nullptr, false);
}

const std::string k_message_en = "ns1 (10.0.1.1) and ns2 (10.0.1.2) share one veth pair.";
const std::string k_message_zh = "ns1（10.0.1.1）和 ns2（10.0.1.2）通过一对 veth 相连。";

} // namespace

TEST_CASE("up prints the lab's message in the language of --lang or the locale", "[cli][lang]") {
  const std::string file = topology("veth-pair.yaml");
  Run zh = netlab("--lang zh up " + file);
  REQUIRE(zh.rc == 0);
  CHECK_THAT(zh.out, Catch::Contains(k_message_zh) && Catch::Contains("试试：netlab exec ns1 -- ping -c1 10.0.1.2"));
  CHECK_THAT(zh.out, !Catch::Contains(k_message_en));
  CHECK_THAT(zh.out, Catch::Contains("+ veth ns1:veth1 <-> ns2:veth2")); // netlab's own lines stay English

  CHECK_THAT(netlab("up " + file).out, Catch::Contains(k_message_en)); // no locale: English
  CHECK_THAT(netlab("up --lang zh-CN " + file).out, Catch::Contains(k_message_zh)); // after the verb; zh for zh-CN
  CHECK_THAT(netlab_env("LANG=zh_CN.UTF-8", "up " + file).out, Catch::Contains(k_message_zh));
  CHECK_THAT(netlab_env("LANG=zh_CN.UTF-8 LC_MESSAGES=en_US.UTF-8", "up " + file).out, Catch::Contains(k_message_en));
  CHECK_THAT(netlab_env("LANG=en_US.UTF-8 LC_MESSAGES=zh_TW.UTF-8", "up " + file).out, Catch::Contains(k_message_zh));
  CHECK_THAT(netlab_env("LANG=zh_CN.UTF-8 LC_ALL=C", "up " + file).out, Catch::Contains(k_message_en));
  CHECK_THAT(netlab_env("LANG=zh_CN.UTF-8 LC_ALL=", "up " + file).out, Catch::Contains(k_message_zh)); // empty: unset
  CHECK_THAT(netlab_env("LANG=zh_CN.UTF-8", "--lang en up " + file).out, Catch::Contains(k_message_en));
  CHECK_THAT(netlab("--lang fr up " + file).out, Catch::Contains(k_message_en)); // no French: English

  auto doc = json_of("--lang zh up " + file, 0);
  CHECK(doc["lang"] == "zh");
  CHECK_THAT(doc["message"].get<std::string>(), Catch::StartsWith(k_message_zh));

  Run bad = netlab("--lang 'zh!' up " + file);
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.out, Catch::Contains("'zh!' is not a language code (like en, zh or zh-CN)"));

  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("an exercise's task and hints in Chinese with --lang zh in text and JSON", "[cli][lang][exercise]") {
  const std::string file = topology("veth-pair.yaml");
  Run list = netlab("--lang zh exercise list " + file);
  CHECK(list.rc == 0);
  CHECK_THAT(list.out, Catch::Contains("1  no-address: ns1 和 ns2 通过一对 veth 相连，两端都已启用，可 ns1 还是 ping 不通 ns2"));
  auto listed = json_of("--lang zh exercise list " + file, 0);
  CHECK(listed["lang"] == "zh");
  CHECK_THAT(listed["exercises"][0]["task"].get<std::string>(), Catch::StartsWith("ns1 和 ns2 通过一对 veth 相连"));

  Run start = netlab("exercise start --lang zh " + file);
  REQUIRE(start.rc == 0);
  CHECK_THAT(start.out, Catch::Contains("exercise 1 'no-address' of lab 'veth-pair':\nns1 和 ns2 通过一对 veth 相连"));
  CHECK_THAT(start.out, Catch::Contains("找出原因并手动修好。"));

  Run check = netlab_env("LANG=zh_CN.UTF-8", "exercise check " + file);
  CHECK(check.rc == 3);
  CHECK_THAT(check.out, Catch::Contains("hint 1 of 2: ns2 上配了哪些地址？netlab exec ns2 -- ip -br addr"));
  auto checked = json_of("--lang zh exercise check " + file, 3);
  CHECK(checked["lang"] == "zh");
  CHECK(checked["hint"] == "hint 2 of 2: 把地址加回去：netlab exec ns2 -- ip addr add 10.0.1.2/24 dev veth2");
  CHECK_THAT(checked["exercise"]["task"].get<std::string>(), Catch::StartsWith("ns1 和 ns2"));
  // The same attempt count in English: the hints are one list in two languages.
  Run english = netlab("exercise check " + file);
  CHECK_THAT(english.out, Catch::Contains("hint 2 of 2: netlab exec ns2 -- ip addr add 10.0.1.2/24 dev veth2"));

  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}
