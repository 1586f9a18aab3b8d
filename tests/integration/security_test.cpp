// Hostile input, tried as an unlucky or hostile user would (issue 11): lab names
// that are paths, aliases anyone with CAP_NET_ADMIN in a namespace can set, a
// state dir others can write, a user's nft table with the lab's name, netlab run
// inside a node, and a second run while the lock is held.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <sys/mount.h>
#include <sys/stat.h>

using namespace nltest;

namespace {

/// A private /run for this test process (its own mount namespace), with fresh
/// tmpfs on /run/netns and /run/netlab as the sandbox has, and a decoy dir
/// /run/victim that `-l ../victim` would name: nothing outside the sandbox is
/// reachable even if netlab followed the path.
void private_run_with_victim() {
  REQUIRE(mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0);
  for (const char* dir : {"/run/netns", "/run/netlab"}) {
    REQUIRE(mkdir(dir, 0755) == 0);
    REQUIRE(mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0);
  }
  REQUIRE(sh("mkdir -p /run/victim/sub && echo keep > /run/victim/file && echo keep > /run/victim/sub/state.json").rc ==
          0);
}

void require_victim_intact() {
  CHECK(read_file("/run/victim/file") == "keep\n");
  CHECK(read_file("/run/victim/sub/state.json") == "keep\n");
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode;
}

} // namespace

TEST_CASE("a lab name that is a path is refused with exit 2", "[security]") {
  private_run_with_victim();
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  for (const char* bad : {"../victim", ".", "..", "../victim/sub", "/run/victim", "a/../../victim"}) {
    INFO(bad);
    Run down = netlab(std::string("down -l '") + bad + "'");
    CHECK(down.rc == 2);
    CHECK_THAT(down.out, Catch::Contains("lab name"));
    CHECK_THAT(down.out, !Catch::Contains("is down"));
    CHECK(netlab(std::string("status -l '") + bad + "'").rc == 2);
  }
  require_victim_intact();
  // `down -l .` must not have wiped the other lab's state.
  CHECK(fs::exists("/run/netlab/veth-pair/state.json"));
  CHECK(netlab("status -l veth-pair").rc == 0);
  REQUIRE(netlab("down -l veth-pair").rc == 0);
  require_nothing_left();
}

TEST_CASE("hostile owner aliases are no lab: down --all ignores them, list prints them escaped", "[security]") {
  private_run_with_victim();
  REQUIRE(sh("ip netns add evil && ip -n evil link set lo alias 'netlab:../victim' && "
             "ip link add ev0 type veth peer name ev1 && "
             "ip link set ev0 alias \"$(printf 'netlab:x\\033[2J\\nfake line')\"")
              .rc == 0);
  REQUIRE_THAT(sh("ip -d link show ev0").out, Catch::Contains("alias"));

  Run down = netlab("down --all");
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, Catch::Contains("no labs are up"));
  require_victim_intact();
  CHECK(netns_names() == std::set<std::string>{"evil"});
  CHECK(sh("ip link show ev0").rc == 0);

  Run list = netlab("list -v");
  CHECK(list.rc == 0);
  CHECK(list.out.find('\x1b') == std::string::npos);
  CHECK_THAT(list.out, !Catch::Contains("\nfake line"));
  CHECK_THAT(list.out, Catch::Contains("ignored alias 'netlab:../victim' on lo of namespace 'evil'"));
  CHECK_THAT(list.out, Catch::Contains("ignored alias 'netlab:x\\x1b[2J\\x0afake line' on host link 'ev0'"));
  CHECK_THAT(list.out, Catch::Contains("no labs are up"));

  REQUIRE(sh("ip netns del evil && ip link del ev0").rc == 0);
  require_nothing_left();
}

TEST_CASE("state files: 0700 dirs, 0600 state, a planted symlink is never followed", "[security]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(sh("echo precious > /run/netlab/precious && chmod 600 /run/netlab/precious && "
             "ln -s /run/netlab/precious /run/netlab/veth-pair/state.json.tmp")
              .rc == 0);
  // umask 000 made 0777 dirs before; now every dir is 0700 and state.json 0600 whatever the umask.
  // (The same lab from another path: the memory changes, so state.json is written
  // again; a run that changes nothing leaves it as it is.)
  const std::string moved = write_temp("veth-pair.yaml", read_file(file));
  REQUIRE(sh("rm -rf /run/netlab/.locks; umask 000; " + std::string(NETLAB_BINARY) + " up " + moved).rc == 0);
  CHECK(read_file("/run/netlab/precious") == "precious\n");
  CHECK(S_ISREG(mode_of("/run/netlab/veth-pair/state.json")));
  CHECK((mode_of("/run/netlab/veth-pair/state.json") & 07777) == 0600);
  CHECK((mode_of("/run/netlab/.locks") & 07777) == 0700);
  CHECK_FALSE(fs::exists(fs::symlink_status("/run/netlab/veth-pair/state.json.tmp")));

  // A state.json that is a symlink is not read.
  REQUIRE(sh("mv /run/netlab/veth-pair/state.json /run/netlab/saved.json && "
             "ln -s /run/netlab/saved.json /run/netlab/veth-pair/state.json")
              .rc == 0);
  Run status = netlab("status -l veth-pair");
  CHECK(status.rc == 1);
  CHECK_THAT(status.out, Catch::Contains("a symlink; refusing to read it"));
  REQUIRE(sh("rm /run/netlab/veth-pair/state.json && mv /run/netlab/saved.json /run/netlab/veth-pair/state.json").rc ==
          0);

  // A lab dir others can write is refused, by up and by down, and left as it is.
  REQUIRE(sh("chmod 0777 /run/netlab/veth-pair").rc == 0);
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("/run/netlab/veth-pair: writable by group or others (mode 0777)"));
  CHECK(netlab("down " + file).rc == 1);
  CHECK(netns_names() == std::set<std::string>{"ns1", "ns2"});
  REQUIRE(sh("chmod 0700 /run/netlab/veth-pair").rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  std::filesystem::remove("/run/netlab/precious");
  std::filesystem::remove(moved);
  require_nothing_left();
}

TEST_CASE("list shows a lab with corrupt state and the others normally", "[security]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  REQUIRE(netlab("up " + topology("loopback.yaml")).rc == 0);
  REQUIRE(sh("printf '{\"lab\": \\033[31m' > /run/netlab/veth-pair/state.json").rc == 0);
  Run list = netlab("list");
  CHECK(list.rc == 0);
  CHECK_THAT(list.out, Catch::Contains("veth-pair") && Catch::Contains("(state unreadable: "));
  CHECK(list.out.find('\x1b') == std::string::npos);
  CHECK_THAT(list.out, Catch::Contains("topologies/loopback.yaml"));
  // Another lab's name in state.json is refused too.
  REQUIRE(sh("echo '{\"lab\": \"loopback\", \"nodes\": []}' > /run/netlab/veth-pair/state.json").rc == 0);
  CHECK_THAT(netlab("list").out, Catch::Contains("names lab loopback, not veth-pair"));
  REQUIRE(sh("rm /run/netlab/veth-pair/state.json").rc == 0);
  REQUIRE(netlab("down " + topology("veth-pair.yaml")).rc == 0);
  REQUIRE(netlab("down " + topology("loopback.yaml")).rc == 0);
  require_nothing_left();
}

TEST_CASE("a user's nft table with the lab's name is not netlab's: up refuses, down leaves it", "[security][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(sh("nft add table inet netlab-bridge-nat && nft add chain inet netlab-bridge-nat mine && "
             "nft add rule inet netlab-bridge-nat mine tcp dport 4242 counter accept")
              .rc == 0);
  const std::string before = sh("nft list table inet netlab-bridge-nat").out;
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("nft table inet netlab-bridge-nat in node 'host' exists and is not netlab's; "
                                     "nothing was changed"));
  CHECK(netns_names().empty());
  CHECK(netlab("down " + file).rc == 0);
  CHECK(netlab("down --all").rc == 0);
  CHECK(sh("nft list table inet netlab-bridge-nat").out == before);

  // Once the user's table is gone the lab comes up, marked, and goes down cleanly.
  REQUIRE(sh("nft delete table inet netlab-bridge-nat").rc == 0);
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK_THAT(sh("nft list table inet netlab-bridge-nat").out, Catch::Contains("chain owner-netlab-bridge-nat"));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("netlab run inside a node refuses to touch the lab", "[security]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string bin = NETLAB_BINARY;
  Run inside = sh("ip netns exec ns1 " + bin + " down -l veth-pair");
  CHECK(inside.rc == 1);
  CHECK_THAT(inside.out, Catch::Contains("another network namespace"));
  CHECK(sh("ip netns exec ns1 " + bin + " up " + file).rc == 1);
  Run shell = sh(bin + " exec ns1 -- " + bin + " down " + file);
  CHECK(shell.rc == 1);
  CHECK_THAT(shell.out, Catch::Contains("netlab runs inside node 'ns1'"));
  // The lab is intact.
  CHECK(netlab("status " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);
  // --host-netns overrides NETLAB_NODE when netlab is in fact in the host namespace.
  CHECK(sh("NETLAB_NODE=ns1 " + bin + " status --host-netns " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("verbs that change nothing leave nothing in /run/netlab for a lab that is not up", "[security][lock]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(sh("rm -rf /run/netlab/.locks /run/netlab/.lock /run/netlab/veth-pair").rc == 0);
  CHECK(netlab("plan " + file).rc == 0);
  CHECK(netlab("plan --explain " + file).rc == 0);
  CHECK(netlab("status " + file).rc == 3);
  CHECK(netlab("validate " + file).rc == 0);
  CHECK_FALSE(fs::exists("/run/netlab/.locks"));
  CHECK_FALSE(fs::exists("/run/netlab/veth-pair"));
  // Once a run took the lab's lock, plan takes it shared again (and waits behind an up).
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(fs::exists("/run/netlab/.locks/veth-pair"));
  CHECK(netlab("plan " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("the lab lock: --no-wait, --wait, the holder named, other labs not blocked", "[security][lock]") {
  using clock = std::chrono::steady_clock;
  const std::string file = topology("veth-pair.yaml");
  // A second process holds veth-pair's lock, its lock file naming a netlab run.
  REQUIRE(sh("mkdir -p -m 700 /run/netlab/.locks && printf '4242\\nnetlab up fake\\n' > /run/netlab/.locks/veth-pair "
             "&& (flock /run/netlab/.locks/veth-pair sleep 6 >/dev/null 2>&1 &)")
              .rc == 0);
  auto start = clock::now();
  Run no_wait = netlab("up --no-wait " + file);
  CHECK(no_wait.rc == 1);
  CHECK_THAT(no_wait.out, Catch::Contains("the lab lock is held by pid 4242 (netlab up fake)"));
  Run waited = netlab("up --wait 0.3 " + file);
  CHECK(waited.rc == 1);
  CHECK_THAT(waited.out, Catch::Contains("gave up after 0.3 s"));
  // Another lab, status and plan do not wait behind it.
  CHECK(netlab("up --no-wait " + topology("loopback.yaml")).rc == 0);
  CHECK(netlab("status " + file).rc == 3);
  CHECK(clock::now() - start < std::chrono::seconds(4));
  // Waiting (the default) says for whom after 1 s, then goes on.
  Run up = netlab("up " + file);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("waiting for the lab lock held by pid 4242 (netlab up fake)"));
  CHECK_THAT(read_file("/run/netlab/.locks/veth-pair"), Catch::Contains("netlab up " + file));
  REQUIRE(netlab("down --no-wait " + file).rc == 0);
  REQUIRE(netlab("down " + topology("loopback.yaml")).rc == 0);
  require_nothing_left();
}

TEST_CASE("two netlab runs of one lab: the second names the first, which waits for the global lock", "[security][lock]") {
  const std::string file = topology("veth-pair.yaml");
  const std::string out = write_temp("first-up.out", "");
  // A third process holds the global lock, so the first run stops after taking the lab's lock.
  REQUIRE(sh("printf '4242\\nnetlab up other\\n' > /run/netlab/.lock && "
             "(flock /run/netlab/.lock sleep 4 >/dev/null 2>&1 &)")
              .rc == 0);
  REQUIRE(sh("(" + std::string(NETLAB_BINARY) + " up " + file + " >" + out + " 2>&1 &)").rc == 0);
  bool holding = false;
  for (int i = 0; i < 300 && !holding; ++i) {
    holding = read_file("/run/netlab/.locks/veth-pair").find("netlab up " + file) != std::string::npos;
    if (!holding) usleep(10000);
  }
  REQUIRE(holding);
  Run second = netlab("up --no-wait " + file);
  CHECK(second.rc == 1);
  CHECK_THAT(second.out, Catch::Contains("the lab lock is held by pid ") && Catch::Contains("(netlab up " + file + ")"));
  CHECK(netlab("plan --no-wait " + file).rc == 1);
  CHECK(netlab("status " + file).rc == 3); // reads without waiting
  bool done = false;
  for (int i = 0; i < 200 && !done; ++i) {
    done = read_file(out).find("changes in") != std::string::npos;
    if (!done) usleep(50000);
  }
  REQUIRE(done);
  CHECK_THAT(read_file(out), Catch::Contains("waiting for the global lock held by pid 4242 (netlab up other)"));
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  fs::remove(out);
  require_nothing_left();
}
