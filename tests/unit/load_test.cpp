// The loader's failure modes on real files, and load_and_validate() joining diagnostics.
#include <catch2/catch.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace netlab;
namespace fs = std::filesystem;

namespace {

/// A private temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "netlab-load-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

} // namespace

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
  CHECK(raw.error().message.find("not valid YAML: more than 1000000 values once aliases are expanded") !=
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
