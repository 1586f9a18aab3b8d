#include <catch2/catch.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <algorithm>
#include <filesystem>
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
