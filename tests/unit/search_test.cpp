// Where a verb's FILE is found: a path first, then a lab's name in the search dirs.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/topology/load.hpp>
#include <netlab/topology/search.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace netlab;
namespace fs = std::filesystem;
using netlab::test::TempDir;

namespace {

/// Runs the body with the current directory set to DIR, restoring it afterwards.
struct InDir {
  fs::path old = fs::current_path();
  explicit InDir(const fs::path& dir) { fs::current_path(dir); }
  ~InDir() { fs::current_path(old); }
};

SearchInputs installed(const fs::path& root) {
  return {"", root / "usr/bin/netlab", "/src/build", "/src", "../share/netlab/topologies",
          "/usr/local/share/netlab/topologies"};
}

} // namespace

TEST_CASE("search dirs: NETLAB_PATH then the build tree then beside the binary then the prefix", "[search]") {
  SearchInputs in{"/a:/b/::rel", "/src/build/apps/netlab", "/src/build", "/src", "../share/netlab/topologies",
                  "/usr/share/netlab/topologies"};
  auto dirs = topology_search_dirs(in);
  REQUIRE(dirs.size() == 6);
  CHECK(dirs[0] == "/a");
  CHECK(dirs[1] == "/b/");
  CHECK(dirs[2] == fs::current_path() / "rel");
  CHECK(dirs[3] == "/src/topologies");
  CHECK(dirs[4] == "/src/build/share/netlab/topologies");
  CHECK(dirs[5] == "/usr/share/netlab/topologies");
}

TEST_CASE("search dirs: an installed binary does not search the build tree and no dir comes twice", "[search]") {
  auto dirs = topology_search_dirs(installed("/"));
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == "/usr/share/netlab/topologies");
  CHECK(dirs[1] == "/usr/local/share/netlab/topologies");

  SearchInputs same{"/usr/share/netlab/topologies", "/usr/bin/netlab", "/src/build", "/src",
                    "../share/netlab/topologies", "/usr/share/netlab/topologies"};
  CHECK(topology_search_dirs(same) == std::vector<fs::path>{"/usr/share/netlab/topologies"});

  // A sibling whose name starts with the build dir's is not inside it.
  SearchInputs sibling{"", "/src/build-release/netlab", "/src/build", "/src", "", ""};
  CHECK(topology_search_dirs(sibling).empty());
}

TEST_CASE("find_topology: an existing path wins over a lab of the same name", "[search]") {
  TempDir tmp;
  auto shipped = tmp.write("share/lab.yaml");
  auto local = tmp.write("cwd/lab.yaml");
  std::vector<fs::path> dirs{tmp.path / "share"};
  InDir cwd(tmp.path / "cwd");
  CHECK(find_topology("lab.yaml", dirs) == fs::path("lab.yaml"));
  CHECK(find_topology(local, dirs) == local);
  CHECK(find_topology("lab", dirs) == shipped); // no file "lab" here: NAME.yaml in the dirs
}

TEST_CASE("find_topology: NAME then NAME.yaml in each dir in order and paths are not searched", "[search]") {
  TempDir tmp;
  auto first = tmp.write("one/lab.yaml");
  auto exact = tmp.write("two/lab");
  tmp.write("two/other.yaml");
  fs::create_directories(tmp.path / "one/dir.yaml");
  std::vector<fs::path> dirs{tmp.path / "missing", tmp.path / "one", tmp.path / "two"};
  InDir cwd(tmp.path);
  CHECK(find_topology("lab", dirs) == first);
  CHECK(find_topology("lab.yaml", dirs) == first);
  CHECK(find_topology("other", dirs) == tmp.path / "two/other.yaml");
  CHECK(find_topology("other.yaml.yaml", dirs) == std::nullopt);
  CHECK(find_topology("dir", dirs) == std::nullopt); // a directory is not a lab
  CHECK(find_topology("sub/lab", dirs) == std::nullopt);
  CHECK(find_topology("", dirs) == std::nullopt);
  CHECK(find_topology("nosuch", dirs) == std::nullopt);
  (void)exact;
}

TEST_CASE("load_file finds a lab by name through NETLAB_PATH and says where it looked", "[search]") {
  TempDir tmp;
  auto file = tmp.write("labs/mine.yaml", "name: mine\nnodes:\n  ns1:\n");
  ::setenv("NETLAB_PATH", (tmp.path / "labs").c_str(), 1);
  auto raw = load_file("mine");
  auto missing = load_file("nosuch-lab");
  ::unsetenv("NETLAB_PATH");
  REQUIRE(raw);
  CHECK(raw->path == file);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ExitCode::usage);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("nosuch-lab: cannot read file: No such file or directory (and no lab 'nosuch-lab' in " +
                               (tmp.path / "labs").string() + ", "));
}

TEST_CASE("load_file finds a shipped lab by name when run from the build tree", "[search]") {
  InDir cwd(fs::temp_directory_path());
  auto raw = load_file("veth-pair");
  REQUIRE(raw);
  CHECK(raw->path == (fs::path(NETLAB_SOURCE_DIR) / "topologies/veth-pair.yaml").lexically_normal().string());
}
