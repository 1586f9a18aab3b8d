// Link impairment without a kernel: tbf sizing, comparison and text
// (plan/impair), the diff on the FakeKernel (add, change, drift, remove, undo,
// refusal), and the qdisc requests libnl builds, parsed back by libnl itself.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/kernel/netlink_qdisc.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/plan/inverse.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc/tbf.h>

#include <regex>

using namespace netlab;
using netlab::test::FakeKernel;
using netlab::test::Lines;
using netlab::test::lines;
using netlab::test::parse;
using netlab::test::problems;

namespace {

/// Two namespaces on one veth; `impair` is the link's (empty: none).
std::string lab_with(const std::string& impair, const std::string& extra_b = "") {
  std::string out = "name: imp\nnodes:\n  a:\n    interfaces:\n      x: {addresses: [10.0.0.1/24]}\n"
                    "  b:\n    interfaces:\n      y: {addresses: [10.0.0.2/24]" +
                    extra_b + "}\n      z: {kind: bridge}\nlinks:\n";
  if (impair.empty()) return out + "  - [a:x, b:y]\n";
  return out + "  - endpoints: [a:x, b:y]\n    impair: " + impair + "\n";
}

Lines drift(const Plan& p) {
  Lines out;
  for (const auto& f : p.findings)
    if (f.state != Finding::State::ok)
      out.push_back(std::string(to_string(f.state)) + " " + f.path + ": " + f.want + " / " + f.have);
  return out;
}

/// test::Lab on a kernel that has every qdisc.
struct Lab : test::Lab {
  Lab() { kernel.missing_qdiscs.clear(); }
};

const NsRef k_a{"a", NodeKind::netns, "/run/netns/a"};

Impairment rate(uint64_t bps) {
  Impairment i;
  i.rate_bps = bps;
  return i;
}

/// Builds the RTM_NEWQDISC request for `q` and parses it back through libnl's qdisc cache ops.
RtnlQdiscPtr round_trip(rtnl_qdisc* q) {
  nl_msg* raw = nullptr;
  REQUIRE(rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &raw) == 0);
  std::unique_ptr<nl_msg, decltype(&nlmsg_free)> msg(raw, nlmsg_free);
  nlmsg_set_proto(msg.get(), NETLINK_ROUTE);
  RtnlQdiscPtr out;
  auto keep = [](nl_object* o, void* arg) {
    nl_object_get(o);
    static_cast<RtnlQdiscPtr*>(arg)->reset(reinterpret_cast<rtnl_qdisc*>(o));
  };
  REQUIRE(nl_msg_parse(msg.get(), keep, &out) == 0);
  REQUIRE(out);
  return out;
}

} // namespace

TEST_CASE("tbf is sized for the rate and the MTU", "[impair]") {
  TbfShape slow = tbf_shape(64'000, 1500);
  CHECK(slow.rate_bytes == 8000);
  CHECK(slow.burst_bytes == 2 * 1514); // two full frames, not 2 ms (16 bytes)
  CHECK(slow.limit_bytes == 2 * 1514 + 400);
  TbfShape ten = tbf_shape(10'000'000'000, 1500);
  CHECK(ten.burst_bytes == 2'500'000); // 2 ms at the rate
  CHECK(ten.limit_bytes == 2'500'000 + 62'500'000);
  CHECK(tbf_shape(10'000'000, 9000).burst_bytes == 2 * 9014);
  CHECK(tbf_shape(8'000, 9000).burst_bytes == 4000); // at most 4 s of tokens
  CHECK(tbf_shape(16'000'000'000, 1500).rate_bytes == 2'000'000'000u);
}

TEST_CASE("impairments compare as the kernel holds them", "[impair]") {
  Impairment want;
  want.delay_us = 20'000;
  want.loss_pct = 1.0;
  Impairment have = want;
  have.delay_us = 19'999; // libnl rounds down on the way in and out
  have.loss_pct = netem_percent(netem_probability(1.0));
  CHECK(same_impairment(want, have));
  have.limit_pkts = 1000; // netem's default
  CHECK(same_impairment(want, have));
  have.limit_pkts = 500;
  CHECK_FALSE(same_impairment(want, have));
  CHECK(same_impairment(rate(10'000'001), rate(10'000'000))); // both 1250000 bytes/s
  CHECK_FALSE(same_impairment(rate(10'000'000), rate(20'000'000)));
  CHECK_FALSE(same_impairment(want, rate(10'000'000)));
  Impairment zero;
  zero.loss_pct = 0;
  CHECK_FALSE(shapes_traffic(zero));
  CHECK(same_impairment(zero, Impairment{}));
}

TEST_CASE("impairments read as the file writes them", "[impair]") {
  Impairment i = rate(1'500'000'000);
  i.delay_us = 250;
  i.jitter_us = 1000;
  i.loss_pct = 0.5;
  i.duplicate_pct = 2;
  i.limit_pkts = 100;
  CHECK(impair_text(i) == "rate 1500mbit delay 250us jitter 1ms loss 0.5% duplicate 2% limit 100");
  CHECK(impair_text(Impairment{}) == "none");
  CHECK(qdiscs_for(i) == Lines{"netem", "tbf"});
  CHECK(qdiscs_for(rate(64'000)) == Lines{"tbf"});
  CHECK(fields_needing(i, "netem") == Lines{"delay", "jitter", "loss", "duplicate", "limit"});
  CHECK(fields_needing(i, "tbf") == Lines{"rate"});
}

TEST_CASE("plan lines and tc commands for each layout", "[impair]") {
  SetImpair add{k_a, "x", rate(10'000'000), std::nullopt, 1500};
  CHECK(describe(add) == "~ a:x impair rate 10mbit");
  CHECK(explain(add) == Lines{"tc -n a qdisc replace dev x root handle 1: tbf rate 10mbit burst 3028 limit 65528"});
  SetImpair change{k_a, "x", rate(20'000'000), rate(10'000'000), 1500};
  CHECK(describe(change) == "~ a:x impair rate 20mbit (was rate 10mbit)");
  SetImpair remove{k_a, "x", std::nullopt, rate(10'000'000), 1500};
  CHECK(describe(remove) == "- a:x impair rate 10mbit");
  CHECK(explain(remove) == Lines{"tc -n a qdisc del dev x root"});

  Impairment netem;
  netem.delay_us = 20'000;
  netem.jitter_us = 5'000;
  netem.loss_pct = 1;
  SetImpair both{NsRef{"host", NodeKind::host, {}}, "v0", netem, std::nullopt, 1500};
  both.want->rate_bps = 8'000'000;
  CHECK(explain(both) == Lines{"tc qdisc replace dev v0 root handle 2: netem limit 1000 delay 20ms 5ms loss 1%",
                               "tc qdisc replace dev v0 parent 2:1 handle 3: tbf rate 8mbit burst 3028 limit 53028"});
  SetImpair drop_rate{k_a, "x", netem, both.want, 1500};
  CHECK(explain(drop_rate) ==
        Lines{"tc -n a qdisc replace dev x root handle 2: netem limit 1000 delay 20ms 5ms loss 1%",
              "tc -n a qdisc del dev x parent 2:1 handle 3:"});
}

TEST_CASE("the validator keeps rates and delays in what the qdiscs take", "[impair]") {
  CHECK(
      problems("name: l\nnodes:\n  n:\n    interfaces:\n      d: {kind: dummy, impair: {rate: 1kbit, delay: 61s}}\n") ==
      Lines{"t.yaml:5:39: 'rate' must be between 8kbit and 16gbit, got '1kbit'",
            "t.yaml:5:53: 'delay' must be at most 60s, got '61s'"});
  CHECK(problems("name: l\nnodes:\n  n:\n    interfaces:\n      d: {kind: dummy, impair: {rate: 20gbit}}\n") ==
        Lines{"t.yaml:5:39: 'rate' must be between 8kbit and 16gbit, got '20gbit'"});
}

TEST_CASE("impair is added after the link, and a second up changes nothing", "[impair][engine]") {
  Lab lab;
  Topology t = parse(lab_with("{rate: 10mbit}"));
  auto l = lines(lab.up(t));
  CHECK(l[l.size() - 2] == "~ a:x impair rate 10mbit");
  CHECK(l.back() == "~ b:y impair rate 10mbit");
  CHECK(lab.kernel.link("a", "x")->qdisc == "tbf");
  CHECK(lab.memory.impaired_links == std::map<std::string, std::vector<std::string>>{{"a", {"x"}}, {"b", {"y"}}});
  Plan again = lab.plan(t);
  CHECK(again.actions.empty());
  CHECK(drift(again).empty());
}

TEST_CASE("a changed value replaces the qdisc in place", "[impair][engine]") {
  Lab lab;
  lab.up(parse(lab_with("{rate: 10mbit}")));
  int index = lab.kernel.link("a", "x")->ifindex;
  Topology t = parse(lab_with("{rate: 20mbit}"));
  CHECK(lines(lab.up(t)) ==
        Lines{"~ a:x impair rate 20mbit (was rate 10mbit)", "~ b:y impair rate 20mbit (was rate 10mbit)"});
  CHECK(lab.kernel.link("a", "x")->ifindex == index);
  CHECK(lab.kernel.link("a", "x")->impair->rate_bps == 20'000'000u);
  CHECK(lab.plan(t).actions.empty());
}

TEST_CASE("a qdisc deleted or changed by hand is drift, and up repairs only it", "[impair][engine]") {
  Lab lab;
  Topology t = parse(lab_with("{rate: 10mbit}"));
  lab.up(t);
  lab.kernel.link("a", "x")->impair.reset();
  lab.kernel.link("a", "x")->qdisc.clear();
  lab.kernel.link("b", "y")->impair = rate(5'000'000);
  Plan p = lab.plan(t);
  CHECK(drift(p) == Lines{"missing a/x/impair: rate 10mbit / ", "different b/y/impair: rate 10mbit / rate 5mbit"});
  CHECK(lines(p) == Lines{"~ a:x impair rate 10mbit", "~ b:y impair rate 10mbit (was rate 5mbit)"});
  lab.up(t);
  lab.kernel.link("a", "x")->impair.reset();
  lab.kernel.link("a", "x")->qdisc = "htb"; // another kind by hand
  CHECK(drift(lab.plan(t)) == Lines{"different a/x/impair: rate 10mbit / qdisc htb"});
  lab.converge(t);
}

TEST_CASE("impair dropped from the file removes the qdisc, others are left alone", "[impair][engine]") {
  Lab lab;
  lab.up(parse(lab_with("{rate: 10mbit}")));
  lab.kernel.link("b", "z")->qdisc = "htb"; // on a link the lab never shaped: not ours to judge
  Topology plain = parse(lab_with(""));
  Plan p = lab.plan(plain);
  CHECK(lines(p) == Lines{"- a:x impair rate 10mbit", "- b:y impair rate 10mbit"});
  CHECK(drift(p) == Lines{"extra a/x/impair:  / rate 10mbit", "extra b/y/impair:  / rate 10mbit"});
  lab.up(plain);
  CHECK(lab.kernel.link("a", "x")->qdisc.empty());
  CHECK(lab.kernel.link("b", "z")->qdisc == "htb");
  CHECK(lab.memory.impaired_links.empty());
  size_t reads = lab.kernel.observed_qdiscs;
  CHECK(lab.plan(plain).actions.empty());
  CHECK(lab.kernel.observed_qdiscs == reads); // nothing impaired, nothing remembered: no qdisc dump
}

TEST_CASE("qdiscs are read only in namespaces with an impaired or remembered link", "[impair][engine]") {
  Topology t = parse("name: imp\nnodes:\n  a:\n  b:\n  c:\n  d:\nlinks:\n  - [c:w, d:v]\n"
                     "  - endpoints: [a:x, b:y]\n    impair: {rate: 1mbit}\n");
  LabState memory;
  memory.impaired_links["d"] = {"v"};
  std::map<std::string, bool> read;
  for (const auto& target : observe_targets(t, memory))
    read[target.ref.node] = target.qdiscs;
  CHECK(read == std::map<std::string, bool>{{"a", true}, {"b", true}, {"c", false}, {"d", true}});
}

TEST_CASE("undo puts the old impairment back", "[impair][engine]") {
  CHECK(inverse(SetImpair{k_a, "x", rate(20'000'000), rate(10'000'000), 1500}).size() == 1);
  auto undo = std::get<SetImpair>(inverse(SetImpair{k_a, "x", std::nullopt, rate(10'000'000), 1400}).front());
  CHECK(undo.want == rate(10'000'000));
  CHECK_FALSE(undo.old);
  CHECK(undo.mtu == 1400);

  Lab lab;
  lab.up(parse(lab_with("{rate: 10mbit}")));
  Topology t = parse(lab_with("{rate: 20mbit}", ", mtu: 1400"));
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE(plan);
  REQUIRE(lines(*plan).back() == "~ b:y impair rate 20mbit (was rate 10mbit)");
  lab.kernel.fail_write = plan->actions.size() - 1; // after a:x was reshaped
  auto r = apply_plan(lab.kernel, plan->actions);
  CHECK(r.rolled_back);
  CHECK(r.undo_errors.empty());
  CHECK(lab.kernel.link("a", "x")->impair == rate(10'000'000));
  CHECK(lab.kernel.link("b", "y")->mtu == 1500);
}

TEST_CASE("an MTU change re-sizes tbf's burst", "[impair][engine]") {
  Lab lab;
  lab.up(parse(lab_with("{rate: 10mbit}")));
  Plan p = lab.plan(parse(lab_with("{rate: 10mbit}", ", mtu: 9000")));
  CHECK(lines(p) == Lines{"~ b:y mtu 9000 (was 1500)", "~ b:y impair rate 10mbit (tbf burst for mtu 9000)"});
  CHECK(std::get<SetImpair>(p.actions.back()).mtu == 9000);
}

TEST_CASE("a qdisc the kernel lacks refuses the whole file before any change", "[impair][engine]") {
  Lab lab;
  lab.kernel.missing_qdiscs = {"netem"};
  std::string yaml = lab_with("{delay: 10ms, loss: 1%}");
  yaml = std::regex_replace(yaml, std::regex("z: \\{kind: bridge\\}"), "z: {kind: bridge, impair: {rate: 1mbit}}");
  auto plan = plan_lab(lab.kernel, parse(yaml), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message == "a:x impair delay, loss need the netem qdisc (CONFIG_NET_SCH_NETEM), which this kernel "
                                "lacks; nothing was changed\n"
                                "b:y impair delay, loss need the netem qdisc (CONFIG_NET_SCH_NETEM), which this kernel "
                                "lacks; nothing was changed");
  CHECK(lab.kernel.writes == 0);
  lab.kernel.missing_qdiscs = {"tbf"};
  plan = plan_lab(lab.kernel, parse(lab_with("{rate: 1mbit}")), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message,
             Catch::StartsWith("a:x impair rate needs the tbf qdisc (CONFIG_NET_SCH_TBF), which this kernel lacks"));
}

TEST_CASE("netem with a rate converges where the kernel has netem", "[impair][engine]") {
  Lab lab;
  Topology t = parse(lab_with("{rate: 8mbit, delay: 20ms, jitter: 5ms, duplicate: 1%, limit: 200}"));
  lab.up(t);
  CHECK(lab.kernel.link("a", "x")->qdisc == "netem");
  CHECK(lab.plan(t).actions.empty());
  Topology faster = parse(lab_with("{delay: 20ms}"));
  CHECK(lines(lab.up(faster)) ==
        Lines{"~ a:x impair delay 20ms (was rate 8mbit delay 20ms jitter 5ms duplicate 1% limit 200)",
              "~ b:y impair delay 20ms (was rate 8mbit delay 20ms jitter 5ms duplicate 1% limit 200)"});
}

TEST_CASE("tbf requests carry the rate, burst and limit", "[impair][netlink]") {
  RtnlQdiscPtr q = make_tbf(7, TC_H_ROOT, 1u << 16, 10'000'000, 1500);
  REQUIRE(q);
  RtnlQdiscPtr back = round_trip(q.get());
  CHECK(std::string(rtnl_tc_get_kind(TC_CAST(back.get()))) == "tbf");
  CHECK(rtnl_tc_get_ifindex(TC_CAST(back.get())) == 7);
  CHECK(rtnl_tc_get_handle(TC_CAST(back.get())) == 1u << 16);
  CHECK(rtnl_tc_get_parent(TC_CAST(back.get())) == TC_H_ROOT);
  CHECK(rtnl_qdisc_tbf_get_limit(back.get()) == 65528);
  CHECK(impairment_of(back.get(), nullptr) == rate(10'000'000));
}

TEST_CASE("netem requests carry every field and read back the same", "[impair][netlink]") {
  Impairment i;
  i.delay_us = 20'000;
  i.jitter_us = 5'000;
  i.loss_pct = 12.5;
  i.duplicate_pct = 0.5;
  i.limit_pkts = 300;
  RtnlQdiscPtr netem = make_netem(3, i);
  REQUIRE(netem);
  RtnlQdiscPtr back = round_trip(netem.get());
  CHECK(rtnl_tc_get_handle(TC_CAST(back.get())) == 2u << 16);
  RtnlQdiscPtr child = round_trip(make_tbf(3, (2u << 16) | 1, 3u << 16, 8'000'000, 1500).get());
  CHECK(rtnl_tc_get_parent(TC_CAST(child.get())) == ((2u << 16) | 1));
  auto got = impairment_of(back.get(), child.get());
  REQUIRE(got);
  i.rate_bps = 8'000'000;
  INFO(impair_text(*got));
  CHECK(same_impairment(i, *got));
  i.loss_pct = 60; // above half of netem's u32 range: travels through libnl's int
  got = impairment_of(round_trip(make_netem(3, i).get()).get(), nullptr);
  REQUIRE(got);
  CHECK(got->loss_pct.value_or(0) == Approx(60).epsilon(1e-6));
  CHECK_FALSE(got->rate_bps);
}
