// The loader's failure modes on real files, and load_and_validate() joining diagnostics.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace netlab;
namespace fs = std::filesystem;
using netlab::test::TempDir;

TEST_CASE("load_file reads a topology from disk", "[validate]") {
  TempDir dir;
  auto path = dir.write("topo.yaml", "name: lab\nnodes:\n  ns1:\n");
  auto raw = load_file(path);
  REQUIRE(raw);
  CHECK(raw->path == path);
  REQUIRE(raw->root.is_mapping());
  CHECK(raw->root.find("name")->scalar == "lab");
  CHECK(raw->root.find("nodes")->mark.line == 3);
}

TEST_CASE("load_file: a missing file", "[validate]") {
  TempDir dir;
  auto path = (dir.path / "nope.yaml").string();
  auto raw = load_file(path);
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message == path + ": cannot read file: No such file or directory");
  CHECK(raw.error().code == ExitCode::usage);
}

TEST_CASE("load_file: an unreadable file", "[validate]") {
  TempDir dir;
  auto file = dir.write("topo.yaml", "name: lab\n");
  SECTION("a path through a regular file") {
    auto raw = load_file(file + "/x.yaml");
    REQUIRE_FALSE(raw);
    CHECK(raw.error().message == file + "/x.yaml: cannot read file: Not a directory");
  }
  SECTION("no read permission") {
    if (::geteuid() == 0) return; // root reads anything
    ::chmod(file.c_str(), 0);
    auto raw = load_file(file);
    REQUIRE_FALSE(raw);
    CHECK(raw.error().message == file + ": cannot read file: Permission denied");
  }
}

TEST_CASE("load_file: a directory fails cleanly", "[validate]") {
  TempDir dir;
  auto raw = load_file(dir.path.string());
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message == dir.path.string() + ": cannot read file: Is a directory");
  CHECK(raw.error().code == ExitCode::usage);
}

TEST_CASE("load_file: text that is not YAML", "[validate]") {
  TempDir dir;
  auto path = dir.write("bad.yaml", "name: lab\nnodes: [ns1,\n");
  auto raw = load_file(path);
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message.starts_with(path + ":3:1: not valid YAML: "));
  CHECK(raw.error().code == ExitCode::usage);
}

TEST_CASE("load_file: an empty file, or one with only comments", "[validate]") {
  TempDir dir;
  auto empty = dir.write("empty.yaml", "");
  auto comments = dir.write("comments.yaml", "# nothing here\n\n");
  CHECK(load_file(empty).error().message == empty + ": file is empty");
  CHECK(load_file(comments).error().message == comments + ": file is empty");
}

TEST_CASE("load_and_validate returns the topology or every problem, one per line", "[validate]") {
  TempDir dir;
  auto good = dir.write("good.yaml", "name: lab\nnodes:\n  ns1:\n");
  auto topo = load_and_validate(good);
  REQUIRE(topo);
  CHECK(topo->name == "lab");
  CHECK(topo->source_path == good);

  auto bad = dir.write("bad.yaml", "name: a/b\nnodes:\n  ns1: {kind: hots}\n");
  auto err = load_and_validate(bad);
  REQUIRE_FALSE(err);
  CHECK(err.error() ==
        bad + ":1:7: lab name 'a/b' contains '/'; only letters, digits, '_', '.' and '-' are allowed\n" + bad +
            ":3:15: 'kind' must be one of netns, host, external; got 'hots' (did you mean 'host'?)");

  CHECK(load_and_validate(dir.path.string()).error() == dir.path.string() + ": cannot read file: Is a directory");
}

TEST_CASE("load_string: aliases cannot expand into billions of values", "[validate]") {
  // Each line multiplies the one before by ten: 10^7 values from 7 short lines.
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'g'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", *" : "*") + prev;
    text += "]\n";
  }
  auto raw = load_string(text, "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message.find("the file holds more than 1000000 values (each alias counting as what it repeats)") !=
        std::string::npos);
}

TEST_CASE("load_string: YAML merge keys are expanded and explicit keys win", "[validate]") {
  const std::string text = "name: lab\n"
                           "x-defaults: &veth {mtu: 1400, addresses: [10.0.0.1/24]}\n"
                           "nodes:\n"
                           "  ns1:\n"
                           "    interfaces:\n"
                           "      e0:\n"
                           "        <<: *veth\n"
                           "        mtu: 9000\n"
                           "      e1: {<<: [{mtu: 1300}, *veth], addresses: []}\n"
                           "      e2: {'<<': 1}\n";
  auto raw = load_string(text, "t.yaml");
  REQUIRE(raw);
  const RawNode* ifaces = raw->root.find("nodes")->find("ns1")->find("interfaces");
  const RawNode& e0 = *ifaces->find("e0");
  REQUIRE(e0.entries.size() == 2);
  CHECK(e0.entries[0].first.scalar == "addresses"); // merged where '<<' stood; its mtu is overridden
  CHECK(e0.find("mtu")->scalar == "9000");
  CHECK(e0.find("addresses")->mark.line == 2); // where it was written, under the anchor
  CHECK(e0.find("addresses")->items.at(0).scalar == "10.0.0.1/24");
  const RawNode& e1 = *ifaces->find("e1");
  REQUIRE(e1.entries.size() == 2);
  CHECK(e1.find("mtu")->scalar == "1300"); // the earlier mapping of a list wins
  CHECK(e1.find("addresses")->items.empty());
  CHECK(ifaces->find("e2")->find("<<")); // a quoted "<<" is an ordinary key

  auto bad = load_string("a: {<<: [1]}\n", "t.yaml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("'<<' merges a mapping or a list of mappings") != std::string::npos);
}

TEST_CASE("load_and_validate: a lab written with merge keys is valid", "[validate]") {
  TempDir dir;
  auto path = dir.write("merge.yaml", "name: lab\n"
                                      "x-mtu: &mtu {mtu: 1400}\n" // x- keys are the file's own: ignored
                                      "nodes:\n"
                                      "  a: &node {interfaces: {e0: {<<: *mtu}}}\n"
                                      "  b: {<<: *node, forwarding: true}\n"
                                      "links: [[a:e0, b:e0]]\n");
  auto topo = load_and_validate(path);
  REQUIRE(topo);
  REQUIRE(topo->find_node("b"));
  CHECK(topo->find_node("b")->forwarding == true);
  CHECK(topo->find_node("b")->find_interface("e0")->mtu == 1400u);
}

TEST_CASE("load_string: a second YAML document is refused", "[validate]") {
  auto raw = load_string("name: a\nnodes:\n  ns1:\n---\nname: b\n", "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message == "t.yaml:4:1: a second YAML document ('---'); a topology file holds exactly one");
  CHECK(raw.error().code == ExitCode::usage);
  auto empty_second = load_string("name: a\nnodes:\n  ns1:\n---\n", "t.yaml");
  REQUIRE_FALSE(empty_second);
  CHECK(empty_second.error().message.find("a second YAML document") != std::string::npos);
  // A leading '---' and a closing '...' are one document.
  REQUIRE(load_string("---\nname: a\nnodes:\n  ns1:\n...\n", "t.yaml"));
}

TEST_CASE("load_string: the tree, marks, anchors and aliases as before", "[validate]") {
  auto raw = load_string("a: &x {k: [1, ~, \"\"]}\nb: *x\nc:\n", "t.yaml");
  REQUIRE(raw);
  const RawNode& root = raw->root;
  REQUIRE(root.entries.size() == 3);
  const RawNode* b = root.find("b");
  REQUIRE(b);
  REQUIRE(b->is_mapping());
  const RawNode* k = b->find("k");
  REQUIRE(k);
  REQUIRE(k->items.size() == 3);
  CHECK(k->items[0].scalar == "1");
  CHECK(k->items[1].is_null());
  CHECK(k->items[2].is_scalar());
  CHECK(k->mark.line == 1); // an alias keeps the positions of what it repeats
  CHECK(root.find("c")->is_null());
  CHECK(root.entries[2].first.mark.line == 3);
  CHECK(root.entries[2].first.mark.col == 1);
}

TEST_CASE("load_string: nesting is bounded before the parser recurses", "[validate]") {
  auto raw = load_string(std::string(100000, '[') + std::string(100000, ']'), "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message == "t.yaml:1:65: nesting deeper than 64 levels");
}

TEST_CASE("load_file: a file over the size limit is refused before it is read", "[validate]") {
  TempDir dir;
  auto path = (dir.path / "big.yaml").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "name: lab\nnodes:\n  ns1:\n";
  }
  fs::resize_file(path, k_max_load_bytes + 1); // sparse: no disk, no time
  auto raw = load_file(path);
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message == path + ": file is larger than 16 MiB (16777217 bytes); a topology file may be at most 16 MiB");
  CHECK(raw.error().code == ExitCode::usage);
  // A stream with no size is cut one byte past the limit.
  if (fs::exists("/dev/zero")) {
    auto zero = load_file("/dev/zero");
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message.find("file is larger than 16 MiB") != std::string::npos);
  }
}

TEST_CASE("load_string: too many values stop the parse where they pass the limit", "[validate]") {
  // 1.2 M one-character values in 2.4 MB: refused at the value that passes the limit.
  std::string text = "checks: [";
  for (std::size_t i = 0; i < 1'200'000; ++i) text += "x,";
  text += "x]\n";
  auto raw = load_string(text, "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message.starts_with("t.yaml:1:"));
  CHECK(raw.error().message.find("the file holds more than 1000000 values") != std::string::npos);
}

TEST_CASE("load_string: unclosed flow collections are counted before the scanner holds them", "[validate]") {
  // A scanner may keep every token of "[[[[..." until the first closes: bounded by a count of '[' and '{'.
  auto raw = load_string("a:\n  " + std::string(600'000, '['), "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message ==
        "t.yaml:2:500003: more than 500000 '[' and '{' in the file (flow lists and mappings); a topology has far fewer");
  CHECK(raw.error().code == ExitCode::usage);
}

TEST_CASE("load_string: an alias to no anchor, and bytes that are not UTF-8, are placed", "[validate]") {
  auto alias = load_string("name: lab\nnodes:\n  a: *nope\n", "t.yaml");
  REQUIRE_FALSE(alias);
  CHECK(alias.error().message == "t.yaml:3:6: alias *nope names no anchor (&nope) before it");
  auto bytes = load_string("name: lab\nnodes: {a: \xff}\n", "t.yaml");
  REQUIRE_FALSE(bytes);
  CHECK(bytes.error().message.starts_with("t.yaml:2:12: not valid YAML: "));
  CHECK(bytes.error().code == ExitCode::usage);
  // A later anchor of the same name is the one an alias after it repeats.
  auto again = load_string("a: &x 1\nb: &x 2\nc: *x\n", "t.yaml");
  REQUIRE(again);
  CHECK(again->root.find("c")->scalar == "2");
}

TEST_CASE("load_string: an alias inside its own anchor is refused", "[validate]") {
  auto raw = load_string("name: &x [*x]\nnodes: {ns1: }\n", "t.yaml");
  REQUIRE_FALSE(raw);
  CHECK(raw.error().message ==
        "t.yaml:1:11: alias to an anchor whose value is not complete here (a value cannot contain itself)");
}
