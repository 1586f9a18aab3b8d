// The CLI as a user meets it: suggestions, help, logging, privileges, labs
// that are not up, conflicts, progress and colour on a terminal, status from
// anywhere, list, shell and exec. Each case runs in its own sandbox.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <unistd.h>

using namespace nltest;

namespace {

/// stdout and stderr of a netlab run, apart.
struct Split {
  int rc = -1;
  std::string out, err;
};

Split netlab_split(const std::string& args, const std::string& env = {}) {
  const std::string err = write_temp("stderr", "");
  Run r = sh("{ " + env + " " + std::string(NETLAB_BINARY) + " " + args + " 2>" + err + "; }");
  Split s{r.rc, r.out, read_file(err)};
  fs::remove(err);
  UNSCOPED_INFO("$ netlab " << args << "  -> " << s.rc << "\nstdout:\n" << s.out << "\nstderr:\n" << s.err);
  return s;
}

/// Runs netlab on a pseudo-terminal (util-linux script): what a user at a terminal sees.
Run on_tty(const std::string& args, const std::string& env = {}) {
  Run r = sh(env + " script -qec '" + std::string(NETLAB_BINARY) + " " + args + "' /dev/null");
  UNSCOPED_INFO("(tty) $ netlab " << args << "  -> " << r.rc << "\n" << r.out);
  return r;
}

/// Runs netlab without any capability, as root (setpriv drops them for the exec).
Run unprivileged(const std::string& args) {
  return sh("setpriv --inh-caps=-all --bounding-set=-all -- " + std::string(NETLAB_BINARY) + " " + args);
}

} // namespace

TEST_CASE("an unknown verb or option is named with the one meant", "[cli][ux]") {
  Run verb = netlab("stauts");
  CHECK(verb.rc == 2);
  CHECK_THAT(verb.out, Catch::Contains("unknown command 'stauts'; did you mean 'status'?"));
  Run far = netlab("frobnicate");
  CHECK(far.rc == 2);
  CHECK_THAT(far.out, Catch::Contains("unknown command 'frobnicate'"));
  CHECK_THAT(far.out, !Catch::Contains("did you mean"));
  Run flag = netlab("up --jsno " + topology("veth-pair.yaml"));
  CHECK(flag.rc == 2);
  CHECK_THAT(flag.out, Catch::Contains("unknown option '--jsno' for 'netlab up'; did you mean '--json'?"));
  Run exec = netlab("exec ns1 ping -c1 10.0.0.1");
  CHECK(exec.rc == 2);
  CHECK_THAT(exec.out, Catch::Contains("unknown option '-c1' for 'netlab exec'\n"));
  CHECK_THAT(exec.out, Catch::Contains("a command's own options go after --"));
  Run help_typo = netlab("help stauts");
  CHECK(help_typo.rc == 2);
  CHECK_THAT(help_typo.out, Catch::Contains("did you mean 'status'?"));
  require_nothing_left();
}

TEST_CASE("every verb's help names netlab, the common flags and its exit codes", "[cli][ux]") {
  for (const char* verb : {"validate", "graph", "up", "plan", "down", "status", "list", "test", "exec", "shell"}) {
    INFO(verb);
    Run help = netlab(std::string("help ") + verb);
    CHECK(help.rc == 0);
    CHECK(help.out == netlab(std::string(verb) + " --help").out);
    CHECK_THAT(help.out, Catch::Contains(std::string("netlab ") + verb));
    CHECK_THAT(help.out, !Catch::Contains(NETLAB_BINARY));
    CHECK_THAT(help.out, Catch::Contains("--json"));
    CHECK_THAT(help.out, Catch::Contains("-q,--quiet"));
    CHECK_THAT(help.out, Catch::Contains("-v,--verbose"));
    CHECK_THAT(help.out, Catch::Contains("--color"));
    CHECK_THAT(help.out, Catch::Contains("Exit"));
  }
  Run top = netlab("help");
  CHECK(top.rc == 0);
  CHECK_THAT(top.out, Catch::Contains("netlab [OPTIONS] SUBCOMMAND"));
}

TEST_CASE("verbose runs log each request with its time on stderr and --json stdout stays pure JSON", "[cli][ux][log]") {
  const std::string file = topology("veth-pair.yaml");
  Split up = netlab_split("-v --json up " + file);
  REQUIRE(up.rc == 0);
  CHECK_NOTHROW(nlohmann::json::parse(up.out));
  CHECK_THAT(up.err, Catch::Contains("netlab: debug: observe ns1: "));
  CHECK_THAT(up.err, Catch::Contains("netlab: debug: apply + netns ns1: ok ("));
  CHECK_THAT(up.err, Catch::Contains(" ms)"));
  Split quiet = netlab_split("status " + file);
  CHECK(quiet.err.empty()); // no flag: no log
  Split trace = netlab_split("status -vv " + file);
  CHECK(trace.rc == 0);
  CHECK_THAT(trace.err, Catch::Contains("netlab: trace:   ns1: link veth1 veth up"));
  Split down = netlab_split("-q down " + file);
  CHECK(down.rc == 0);
  CHECK(down.out.empty());
  CHECK(down.err.empty());
  require_nothing_left();
}

TEST_CASE("without privileges a verb says so first, validate and graph work", "[cli][ux][privileges]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(sh("setpriv --inh-caps=-all --bounding-set=-all -- true").rc == 0);
  for (const std::string& args :
       {"up " + file, "down " + file, "plan " + file, "status " + file, "test " + file, std::string("list"),
        std::string("exec ns1 -- true"), std::string("shell ns1"), std::string("down -l veth-pair")}) {
    INFO(args);
    Run r = unprivileged(args);
    CHECK(r.rc == 1);
    const std::string verb = args.substr(0, args.find(' '));
    CHECK(r.out == "netlab: netlab " + verb + " needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)\n");
  }
  Run nobody =
      sh("setpriv --reuid=65534 --regid=65534 --clear-groups -- " + std::string(NETLAB_BINARY) + " status " + file);
  CHECK(nobody.rc == 1);
  CHECK(nobody.out == "netlab: netlab status needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)\n");
  CHECK(unprivileged("validate " + file).rc == 0);
  CHECK(unprivileged("graph " + file).rc == 0);
  CHECK(unprivileged("up --help").rc == 0);
  require_nothing_left();
}

TEST_CASE("test or down of a lab that is not up says so", "[cli][ux]") {
  const std::string file = topology("veth-pair.yaml");
  Run test = netlab("test " + file);
  CHECK(test.rc == 1);
  CHECK(test.out == "netlab: lab 'veth-pair' is not up: run netlab up " + file + "\n");
  Run none = netlab("down -l nosuch");
  CHECK(none.rc == 1);
  CHECK_THAT(none.out, Catch::Contains("no lab 'nosuch' is up; no labs are up"));
  REQUIRE(netlab("up " + file).rc == 0);
  Run typo = netlab("down -l veth-piar");
  CHECK(typo.rc == 1);
  CHECK_THAT(typo.out,
             Catch::Contains("no lab 'veth-piar' is up (did you mean 'veth-pair'?); labs that are up: veth-pair"));
  REQUIRE(netlab("down -l veth-pair").rc == 0);
  require_nothing_left();
}

TEST_CASE("a namespace of another lab is a conflict naming the way out", "[cli][ux][ownership]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml")).rc == 0);
  const std::string other = write_temp("other.yaml", "name: other\nnodes:\n  ns1: {}\n");
  Run up = netlab("up " + other);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("namespace 'ns1' already exists and is owned by lab 'veth-pair' "
                                     "(netlab down -l veth-pair)"));
  fs::remove(other);
  REQUIRE(netlab("down -l veth-pair").rc == 0);
  require_nothing_left();
}

TEST_CASE("status -l works from any directory, from the copy kept in the state dir", "[cli][ux][state]") {
  const std::string dir = std::string(NETLAB_SOURCE_DIR) + "/topologies";
  REQUIRE(sh("cd " + dir + " && " + NETLAB_BINARY + " up veth-pair.yaml").rc == 0);
  auto state = nlohmann::json::parse(read_file("/run/netlab/veth-pair/state.json"));
  CHECK(state["source"] == dir + "/veth-pair.yaml");
  CHECK(read_file("/run/netlab/veth-pair/topology.yaml") == read_file(dir + "/veth-pair.yaml"));
  Run status = sh("cd / && " + std::string(NETLAB_BINARY) + " status -l veth-pair");
  CHECK(status.rc == 0);
  CHECK_THAT(status.out, Catch::Contains("lab 'veth-pair': converged"));
  Run list = netlab("list");
  CHECK_THAT(list.out, Catch::Matches("(.|\n)*veth-pair +2 +" + dir + "/veth-pair.yaml\n(.|\n)*"));
  REQUIRE(netlab("down -l veth-pair").rc == 0);
  require_nothing_left();
}

TEST_CASE("on a terminal a long run shows one progress line and colour follows --color and NO_COLOR",
          "[cli][ux][tty]") {
  std::string y = "name: wide\nnodes:\n";
  for (int i = 0; i < 30; ++i)
    y += "  w" + std::to_string(i) + ": {}\n"; // 60 changes: netns and lo up each
  const std::string file = write_temp("wide.yaml", y);
  Run up = on_tty("up " + file);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("60/60 changes  100%"));
  CHECK_THAT(up.out, Catch::Contains("\r\x1b[K"));
  CHECK(changes(up.out).empty());
  CHECK_THAT(up.out, Catch::Contains("60 changes in"));
  Run down = on_tty("-v down " + file);
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, !Catch::Contains("changes  100%"));
  CHECK_THAT(down.out, Catch::Contains("- netns w0"));

  const std::string pair = topology("veth-pair.yaml");
  CHECK_THAT(on_tty("plan " + pair).out, Catch::Contains("\x1b[32m+ netns ns1\x1b[0m"));
  CHECK_THAT(on_tty("plan " + pair, "NO_COLOR=1").out, !Catch::Contains("\x1b["));
  CHECK_THAT(on_tty("plan --color=never " + pair).out, !Catch::Contains("\x1b["));
  CHECK_THAT(netlab("plan " + pair).out, !Catch::Contains("\x1b["));
  CHECK_THAT(netlab("--color=always plan " + pair).out, Catch::Contains("\x1b[32m+ netns ns1"));
  fs::remove(file);
  require_nothing_left();
}

TEST_CASE("shell: the prompt names lab and node after the user's bashrc, exec takes all after --", "[cli][ux][shell]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string home = write_temp("home", "");
  fs::remove(home);
  fs::create_directory(home);
  std::ofstream(home + "/.bashrc") << "PS1='mine> '\nexport FROM_BASHRC=yes\n";
  auto leftovers = [] { return sh("ls /tmp | grep -c '^netlab-shell-' || true").out; };
  const std::string before = leftovers();
  Run shell = sh("printf 'echo \"P=$PS1 R=$FROM_BASHRC\"\\nip -br link show veth1\\n' | HOME=" + home +
                 " SHELL=/bin/bash " + NETLAB_BINARY + " shell ns1");
  CHECK(shell.rc == 0);
  CHECK_THAT(shell.out, Catch::Contains("P=[netlab veth-pair/ns1] mine>  R=yes"));
  CHECK_THAT(shell.out, Catch::Contains("veth1@"));
  CHECK(leftovers() == before); // the rc file removed itself
  fs::remove_all(home);

  CHECK(netlab("exec ns1 -- sh -c 'exit 7'").rc == 7);
  Run ip = netlab("exec ns1 -- ip -br -4 addr show dev veth1");
  CHECK(ip.rc == 0);
  CHECK_THAT(ip.out, Catch::Contains("10.0.1.1/24"));
  Run none = netlab("exec ns1");
  CHECK(none.rc == 2);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("shell: zsh reads the user's zshenv and zshrc, then the prompt names lab and node", "[cli][ux][shell]") {
  if (sh("test -x /usr/bin/zsh").rc != 0) {
    WARN("zsh is not installed: nothing to check");
    return;
  }
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string home = write_temp("zhome", "");
  fs::remove(home);
  fs::create_directory(home);
  std::ofstream(home + "/.zshenv") << "export FROM_ZSHENV=yes\n";
  std::ofstream(home + "/.zshrc") << "PROMPT='zmine> '\nexport FROM_ZSHRC=yes\n";
  auto leftovers = [] { return sh("ls /tmp | grep -c '^netlab-shell-' || true").out; };
  const std::string before = leftovers();
  Run shell = sh("printf 'echo \"P=$PROMPT R=$FROM_ZSHRC E=$FROM_ZSHENV Z=${ZDOTDIR-unset}\"\\n' | HOME=" + home +
                 " SHELL=/usr/bin/zsh " + NETLAB_BINARY + " shell ns1");
  CHECK(shell.rc == 0);
  CHECK_THAT(shell.out, Catch::Contains("P=[netlab veth-pair/ns1] zmine>  R=yes E=yes Z=unset"));
  CHECK(leftovers() == before); // the ZDOTDIR of the start-up files removed itself
  fs::remove_all(home);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("graph writes svg and png and html pictures and keeps png off a terminal", "[cli][ux][graph]") {
  const std::string file = topology("bridge-gateway.yaml");
  const std::string dir = "/tmp/netlab-it-graph-" + std::to_string(getpid());
  REQUIRE(sh("mkdir -p " + dir).rc == 0);
  Run svg = netlab("graph " + file + " --format svg -o " + dir + "/lab.svg");
  CHECK(svg.rc == 0);
  CHECK(svg.out.empty());
  CHECK(sh("grep -c '<svg' " + dir + "/lab.svg").out == "1\n");
  CHECK(sh("grep -q 'mybridge (bridge)' " + dir + "/lab.svg").rc == 0);
  CHECK(netlab("graph " + file + " --format png -o " + dir + "/lab.png").rc == 0);
  CHECK(sh("head -c 4 " + dir + "/lab.png | od -An -c | tr -d ' \\n'").out == "211PNG");
  Run html = netlab("graph " + file + " --format html");
  CHECK(html.rc == 0);
  CHECK(html.out.starts_with("<!DOCTYPE html>"));
  // png on a terminal, or inside --json, is refused before the file is read.
  Run tty = sh("script -qec '" + std::string(NETLAB_BINARY) + " graph " + file + " --format png' /dev/null");
  CHECK(tty.out.find("png is binary and stdout is a terminal") != std::string::npos);
  Run json = netlab("graph " + file + " --format png --json");
  CHECK(json.rc == 2);
  Run unwritable = netlab("graph " + file + " --format svg -o " + dir + "/no/such/dir/lab.svg");
  CHECK(unwritable.rc == 1);
  CHECK(unwritable.out.find("cannot write " + dir + "/no/such/dir/lab.svg: No such file or directory") !=
        std::string::npos);
  sh("rm -rf " + dir);
}
