// Parsing what the kernel sends about bridge port VLANs (no kernel: the
// attributes are built with libnl, as the kernel lays them out).
#include <catch2/catch.hpp>

#include <netlab/kernel/netlink_kinds.hpp>

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <memory>
#include <vector>

using namespace netlab;

namespace {

struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};

/// An IFLA_AF_SPEC nest holding one IFLA_BRIDGE_VLAN_INFO per {flags, vid}.
std::unique_ptr<nl_msg, MsgFree> af_spec(const std::vector<bridge_vlan_info>& entries) {
  std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
  REQUIRE(msg);
  nlattr* nest = nla_nest_start(msg.get(), IFLA_AF_SPEC);
  REQUIRE(nest);
  for (const auto& e : entries) REQUIRE(nla_put(msg.get(), IFLA_BRIDGE_VLAN_INFO, sizeof e, &e) == 0);
  nla_put_u16(msg.get(), IFLA_BRIDGE_FLAGS, 0); // another attribute in the nest: skipped
  nla_nest_end(msg.get(), nest);
  return msg;
}

nlattr* first_attr(nl_msg* msg) { return nlmsg_attrdata(nlmsg_hdr(msg), 0); }

} // namespace

TEST_CASE("bridge port VLANs: single entries and compressed ranges", "[kinds][vlans][netlink]") {
  auto msg = af_spec({
      {BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, 1},
      {BRIDGE_VLAN_INFO_RANGE_BEGIN, 10},
      {BRIDGE_VLAN_INFO_RANGE_END, 20},
      {BRIDGE_VLAN_INFO_UNTAGGED, 30},
  });
  CHECK(parse_bridge_vlans(first_attr(msg.get())) ==
        std::vector<BridgeVlan>{{1, 1, true, true}, {10, 20, false, false}, {30, 30, false, true}});
  CHECK(parse_bridge_vlans(nullptr).empty());
  // A range's end that came without its beginning is one VLAN; a range stays closed after its end.
  auto lone = af_spec({{BRIDGE_VLAN_INFO_RANGE_END, 7}, {0, 8}});
  CHECK(parse_bridge_vlans(first_attr(lone.get())) == std::vector<BridgeVlan>{{7, 7, false, false}, {8, 8, false, false}});
}
