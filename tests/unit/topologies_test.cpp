#include <catch2/catch.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace netlab;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> shipped_topologies() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(NETLAB_SOURCE_DIR) / "topologies"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string diagnostics_text(const std::vector<Diagnostic>& diags) {
  std::string text;
  for (const auto& d : diags) text += d.str() + "\n";
  return text.empty() ? "(no diagnostics)" : text;
}

} // namespace

TEST_CASE("every shipped topology loads, validates and draws", "[topologies]") {
  auto files = shipped_topologies();
  REQUIRE(files.size() >= 8);
  for (const auto& file : files) {
    SECTION(file.filename().string()) {
      auto raw = load_file(file.string());
      INFO(file.string());
      REQUIRE(raw.has_value());
      auto topo = validate(*raw);
      INFO((topo ? std::string() : diagnostics_text(topo.error())));
      REQUIRE(topo.has_value());
      // Shipped labs are teaching material: each says what to try and proves it works.
      CHECK(topo->name == file.stem().string());
      CHECK_FALSE(topo->message.empty());
      CHECK_FALSE(topo->checks.empty());
      CHECK(render_mermaid(*topo).find("flowchart") != std::string::npos);
      CHECK(render_dot(*topo).ends_with("}\n"));
    }
  }
}

TEST_CASE("every shipped lab's texts are in English and Chinese", "[topologies][language]") {
  // The tutorials the labs follow are Chinese: message, tasks and hints each have both.
  auto has_both = [](const Text& t) {
    auto has = [&](std::string_view lang) {
      return std::ranges::any_of(t.versions, [&](const auto& v) { return v.first == lang && !v.second.empty(); });
    };
    return has("en") && has("zh");
  };
  for (const auto& file : shipped_topologies()) {
    SECTION(file.filename().string()) {
      auto raw = load_file(file.string());
      REQUIRE(raw.has_value());
      auto topo = validate(*raw);
      REQUIRE(topo.has_value());
      CHECK(has_both(topo->message));
      for (const auto& ex : topo->exercises) {
        INFO(ex.name);
        CHECK(has_both(ex.task));
        for (const auto& hint : ex.hints) {
          INFO(hint.in("en"));
          CHECK(has_both(hint));
        }
      }
    }
  }
}

TEST_CASE("the default lab has the shape the README describes", "[topologies]") {
  auto raw = load_file(std::string(NETLAB_SOURCE_DIR) + "/topologies/bridge-gateway.yaml");
  REQUIRE(raw.has_value());
  auto topo = validate(*raw);
  REQUIRE(topo.has_value());
  const Node* host = topo->host_node();
  REQUIRE(host);
  const Interface* br = host->find_interface("mybridge");
  REQUIRE(br);
  CHECK(br->kind == LinkKind::bridge);
  for (const char* ns : {"ns1", "ns2", "ns3"}) {
    const Node* n = topo->find_node(ns);
    REQUIRE(n);
    REQUIRE(n->routes.size() == 1);
    CHECK(n->routes[0].to.is_default());
    CHECK(n->routes[0].via->str() == "192.168.10.1");
  }
  CHECK(topo->links.size() == 3);
}

// tests/tutorial/LAB.sh is a teaching lab's tutorial as commands (the root-only
// tutorial_faithful_LAB tests compare the two kernels); here, without root, the
// lab says what the comparison expects: its namespaces have IPv6 link-local
// addresses, as `ip link add` gives them, unless the script says the lab keeps
// them IPv4-only on purpose.
TEST_CASE("every lab with a tutorial script gives its namespaces IPv6 as the tutorial does", "[topologies]") {
  const fs::path dir = fs::path(NETLAB_SOURCE_DIR) / "tests" / "tutorial";
  size_t scripts = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".sh") continue;
    ++scripts;
    const std::string lab = entry.path().stem().string();
    SECTION(lab) {
      std::ifstream in(entry.path());
      const std::string text{std::istreambuf_iterator<char>(in), {}};
      const bool ipv4_only = text.find("\n# deliberate: ipv4-only") != std::string::npos;
      auto raw = load_file((fs::path(NETLAB_SOURCE_DIR) / "topologies" / (lab + ".yaml")).string());
      REQUIRE(raw.has_value());
      auto topo = validate(*raw);
      REQUIRE(topo.has_value());
      for (const Node& n : topo->nodes) {
        if (n.kind != NodeKind::netns || n.interfaces.empty()) continue;
        INFO(lab + ": node " + n.name);
        CHECK(n.ipv6.value_or(false) == !ipv4_only);
      }
    }
  }
  CHECK(scripts >= 10);
}
