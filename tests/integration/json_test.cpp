// `--json` of the verbs that need root, checked against schema/json/<verb>.schema.json
// by tests/schema/check_json.py (python3-jsonschema, from scripts/install-deps.sh).
#include "cli.hpp"

#include <nlohmann/json.hpp>

using namespace nltest;

namespace {

/// Runs netlab with `args`; only stdout is kept (stderr is for humans).
Run netlab_stdout(const std::string& args) {
  Run r = sh("{ " + std::string(NETLAB_BINARY) + " " + args + " 2>/dev/null; }");
  UNSCOPED_INFO("$ netlab " << args << "  -> " << r.rc << "\n" << r.out);
  return r;
}

/// `out` is one document valid under VERB's schema; returns it parsed.
nlohmann::json require_valid(const std::string& verb, const Run& r) {
  const std::string file = write_temp("out-" + verb + ".json", r.out);
  Run check = sh("python3 " + std::string(NETLAB_SOURCE_DIR) + "/tests/schema/check_json.py " + NETLAB_SOURCE_DIR +
                 " " + verb + " " + file);
  fs::remove(file);
  INFO(check.out);
  CHECK(check.rc == 0);
  return nlohmann::json::parse(r.out, nullptr, false);
}

/// The first action of `changes` with this op and object, or null.
nlohmann::json find_action(const nlohmann::json& changes, const std::string& op, const std::string& object) {
  for (const auto& a : changes)
    if (a["op"] == op && a["object"] == object) return a;
  return nullptr;
}

} // namespace

TEST_CASE("every verb's --json is valid under its schema with actions as data and errors as JSON", "[cli][json]") {
  REQUIRE(sh("python3 -c 'import jsonschema'").rc == 0); // scripts/install-deps.sh installs it
  const std::string file = topology("bridge-nat.yaml");

  auto plan = require_valid("plan", netlab_stdout("--json plan --explain " + file));
  auto veth = find_action(plan["changes"], "create", "veth");
  REQUIRE(veth.is_object());
  CHECK(veth["peer"]["node"].is_string());
  CHECK(veth["fields"]["up"].is_boolean());
  CHECK(veth["commands"].size() > 0);
  CHECK(find_action(plan["changes"], "create", "netns")["name"] == "ns1");
  CHECK(find_action(plan["changes"], "create", "route")["fields"]["to"] == "default");
  CHECK(find_action(plan["changes"], "create", "nat")["fields"]["rules"] == 2);

  Run up = netlab_stdout("--json up " + file);
  CHECK(up.rc == 0);
  auto applied = require_valid("up", up);
  CHECK(applied["ok"] == true);
  CHECK(applied["changes"].size() == plan["changes"].size());

  CHECK(require_valid("status", netlab_stdout("--json status " + file))["converged"] == true);
  CHECK(require_valid("list", netlab_stdout("--json list"))["labs"][0]["lab"] == "bridge-nat");
  auto tested = require_valid("test", netlab_stdout("--json test " + file));
  CHECK(tested["failed"] == 0);

  // A change of a live link: {"op":"set","object":"link","fields":{"mtu":1400},"old":{"mtu":1500}}.
  std::string text = read_file(file);
  const std::string from = "vethB: {addresses: [192.168.10.2/24]}";
  REQUIRE(text.find(from) != std::string::npos);
  text.replace(text.find(from), from.size(), "vethB: {addresses: [192.168.10.2/24], mtu: 1400}");
  const std::string edited = write_temp("json-edited.yaml", text);
  Run drift = netlab_stdout("--json status " + edited);
  CHECK(drift.rc == 3);
  require_valid("status", drift);
  auto mtu = find_action(require_valid("plan", netlab_stdout("--json plan " + edited))["changes"], "set", "link");
  CHECK(mtu["fields"]["mtu"] == 1400);
  CHECK(mtu["old"]["mtu"] == 1500);
  CHECK(mtu["node"] == "ns1");
  CHECK(mtu["name"] == "vethB");

  Run nolab = netlab_stdout("--json status -l nosuch");
  CHECK(nolab.rc == 1);
  CHECK(require_valid("status", nolab)["error"]["exit_code"] == 1);

  Run down = netlab_stdout("--json down " + edited);
  CHECK(down.rc == 0);
  CHECK(find_action(require_valid("down", down)["changes"], "delete", "netns").is_object());
  CHECK(require_valid("down", netlab_stdout("--json down --all"))["labs"].empty());
  fs::remove(edited);
  require_nothing_left();
}
