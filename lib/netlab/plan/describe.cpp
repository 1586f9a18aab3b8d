#include <netlab/plan/describe.hpp>

#include <netlab/kernel/nft.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/util/overloaded.hpp>

#include <algorithm>
#include <sstream>

namespace netlab {

namespace {

std::string at(const NsRef& ns, const std::string& link) { return ns.node + ":" + link; }

/// The `ip` prefix that targets a namespace: `ip`, `ip -n ns1`, `nsenter --net=P ip`.
std::string ip(const NsRef& ns) {
  switch (ns.kind) {
  case NodeKind::host: return "ip";
  case NodeKind::netns: return "ip -n " + ns.node;
  case NodeKind::external: return "nsenter --net=" + ns.path + " ip";
  }
  return "ip";
}

/// A prefix that runs any command inside the namespace.
std::string in_ns(const NsRef& ns) {
  switch (ns.kind) {
  case NodeKind::host: return "";
  case NodeKind::netns: return "ip netns exec " + ns.node + " ";
  case NodeKind::external: return "nsenter --net=" + ns.path + " ";
  }
  return "";
}

/// The `bridge` prefix that targets a namespace.
std::string bridge_cmd(const NsRef& ns) {
  switch (ns.kind) {
  case NodeKind::host: return "bridge";
  case NodeKind::netns: return "bridge -n " + ns.node;
  case NodeKind::external: return "nsenter --net=" + ns.path + " bridge";
  }
  return "bridge";
}

std::string describe_options(const SetLinkOptions& x) {
  std::string out;
  for (const auto& c : kind_option_changes(x.want, x.old))
    out += (out.empty() ? " " : ", ") + c.field + " " + c.want + " (was " + c.have + ")";
  return "~ " + at(x.ns, x.want.name) + out;
}

std::string vlan_args(const BridgeVlan& v) {
  std::string s = "vid " + std::to_string(v.id);
  if (v.last != v.id) s += "-" + std::to_string(v.last);
  if (v.pvid) s += " pvid";
  if (v.untagged) s += " untagged";
  return s;
}

std::vector<std::string> explain_vlans(const SetBridgeVlans& x) {
  std::vector<std::string> out;
  auto changes = vlan_changes(x.want, x.old);
  std::string self = x.self ? " self" : "";
  for (const auto& v : changes.remove) out.push_back(bridge_cmd(x.ns) + " vlan del dev " + x.link + " " + vlan_args(v) + self);
  for (const auto& v : changes.add) out.push_back(bridge_cmd(x.ns) + " vlan add dev " + x.link + " " + vlan_args(v) + self);
  return out;
}

std::vector<std::string> explain_options(const SetLinkOptions& x) {
  const Interface& w = x.want;
  std::string set = ip(x.ns) + " link set " + w.name;
  switch (w.kind) {
  case LinkKind::macvlan: return {set + " type macvlan mode " + (w.macvlan ? w.macvlan->mode : "bridge")};
  case LinkKind::vxlan: {
    std::string args;
    if (w.vxlan && w.vxlan->remote) args += " remote " + w.vxlan->remote->str();
    if (w.vxlan && w.vxlan->local) args += " local " + w.vxlan->local->str();
    return {set + " type vxlan" + args};
  }
  case LinkKind::bridge:
    return {set + " type bridge vlan_filtering " + (w.bridge && w.bridge->vlan_filtering ? "1" : "0")};
  case LinkKind::tun:
  case LinkKind::tap: {
    // TUNSETIFF on an existing name attaches to it, so `ip tuntap add` re-owns the device.
    TunOptions t = w.tun.value_or(TunOptions{});
    std::string cmd = in_ns(x.ns) + "ip tuntap add dev " + w.name + " mode " + std::string(to_string(w.kind));
    if (t.user) cmd += " user " + *t.user;
    if (t.group) cmd += " group " + *t.group;
    if (t.multi_queue) cmd += " multi_queue";
    return {cmd};
  }
  default: return {};
  }
}

/// The `tc` prefix that targets a namespace, like ip().
std::string tc(const NsRef& ns) {
  switch (ns.kind) {
  case NodeKind::host: return "tc";
  case NodeKind::netns: return "tc -n " + ns.node;
  case NodeKind::external: return "nsenter --net=" + ns.path + " tc";
  }
  return "tc";
}

std::string describe_impair(const SetImpair& x) {
  const std::string was = x.old ? impair_text(*x.old) : std::string("qdisc");
  if (!x.want || !shapes_traffic(*x.want)) return "- " + at(x.ns, x.link) + " impair " + was;
  std::string why = !x.old                             ? ""
                    : same_impairment(*x.want, *x.old) ? " (tbf burst for mtu " + std::to_string(x.mtu) + ")"
                                                       : " (was " + was + ")";
  return "~ " + at(x.ns, x.link) + " impair " + impair_text(*x.want) + why;
}

std::string link_type_args(const Interface& i) {
  switch (i.kind) {
  case LinkKind::bridge: return "type bridge";
  case LinkKind::dummy: return "type dummy";
  case LinkKind::macvlan:
    return "link " + (i.macvlan ? i.macvlan->parent : "?") + " type macvlan mode " + (i.macvlan ? i.macvlan->mode : "bridge");
  case LinkKind::vlan:
    return "link " + (i.vlan ? i.vlan->parent : "?") + " type vlan id " + std::to_string(i.vlan ? i.vlan->id : 0);
  case LinkKind::vxlan: {
    VxlanOptions v = i.vxlan.value_or(VxlanOptions{});
    std::string s = "type vxlan id " + std::to_string(v.id);
    if (v.remote) s += " remote " + v.remote->str();
    if (v.local) s += " local " + v.local->str();
    s += " dstport " + std::to_string(v.dstport);
    if (v.dev) s += " dev " + *v.dev;
    return s;
  }
  default: return "type " + std::string(to_string(i.kind));
  }
}

std::string sysctl_path(const std::string& key) {
  std::string p = key;
  std::ranges::replace(p, '.', '/');
  return "/proc/sys/" + p;
}

std::string describe_create(const CreateLink& c) {
  if (c.iface.kind == LinkKind::veth && c.peer && c.peer_ns)
    return "+ veth " + at(c.ns, c.iface.name) + " <-> " + at(*c.peer_ns, c.peer->name);
  return "+ " + std::string(to_string(c.iface.kind)) + " " + at(c.ns, c.iface.name);
}

/// " mtu 1400 address aa:.." of an interface being created.
std::string settings_args(const Interface& i) {
  std::string out;
  if (i.mtu) out += " mtu " + std::to_string(*i.mtu);
  if (i.mac) out += " address " + *i.mac;
  return out;
}

/// The arguments of the request that tags a new link.
std::string tag_args(const std::string& owner, bool addrgen_none) {
  return " alias " + owner + (addrgen_none ? " addrgenmode none" : "");
}

std::vector<std::string> explain_create(const CreateLink& c) {
  std::string folded = (c.master ? " master " + *c.master : "") + (c.up ? " up" : "");
  if (c.iface.kind == LinkKind::veth && c.peer && c.peer_ns) {
    // The command names the end the request names: the one that takes master/up.
    const NsRef& ns1 = c.peer_first ? *c.peer_ns : c.ns;
    const NsRef& ns2 = c.peer_first ? c.ns : *c.peer_ns;
    const Interface& end1 = c.peer_first ? *c.peer : c.iface;
    const Interface& end2 = c.peer_first ? c.iface : *c.peer;
    // `netns 1`: the namespace of pid 1, the host's.
    std::string netns2 = ns2.kind == NodeKind::netns ? " netns " + ns2.node
                         : ns1.kind == ns2.kind && ns1.path == ns2.path ? ""
                         : " netns " + (ns2.kind == NodeKind::host ? std::string("1") : ns2.path);
    // One queue per end, as the kernel makes them (kernel/netlink_write.cpp).
    const std::string one_queue = " numtxqueues 1 numrxqueues 1";
    std::vector<std::string> out{ip(ns1) + " link add " + end1.name + settings_args(end1) + one_queue + folded +
                                 " type veth peer name " + end2.name + settings_args(end2) + one_queue + netns2};
    for (const auto& [ns, end, off] : {std::tuple{&ns1, &end1, c.peer_first ? c.peer_no_ipv6 : c.no_ipv6},
                                       std::tuple{&ns2, &end2, c.peer_first ? c.no_ipv6 : c.peer_no_ipv6}})
      if (off) out.push_back(in_ns(*ns) + "sysctl -qw net/ipv6/conf/" + end->name + "/disable_ipv6=1");
    out.push_back(ip(ns1) + " link set " + end1.name +
                  tag_args(c.owner, c.peer_first ? c.peer_addrgen_none : c.addrgen_none));
    out.push_back(ip(ns2) + " link set " + end2.name +
                  tag_args(c.owner, c.peer_first ? c.addrgen_none : c.peer_addrgen_none) +
                  (c.other_master ? " master " + *c.other_master : "") + (c.other_up ? " up" : ""));
    return out;
  }
  if (c.iface.kind == LinkKind::tun || c.iface.kind == LinkKind::tap) {
    TunOptions t = c.iface.tun.value_or(TunOptions{});
    std::string cmd = in_ns(c.ns) + "ip tuntap add dev " + c.iface.name + " mode " + std::string(to_string(c.iface.kind));
    if (t.user) cmd += " user " + *t.user;
    if (t.group) cmd += " group " + *t.group;
    if (t.multi_queue) cmd += " multi_queue";
    std::vector<std::string> out{cmd};
    // As the kernel does it: mtu and address go with master/up, else with the tag (kernel/netlink_kernel.cpp).
    std::string with_tag = folded.empty() ? settings_args(c.iface) : "";
    if (!folded.empty()) out.push_back(ip(c.ns) + " link set " + c.iface.name + settings_args(c.iface) + folded);
    out.push_back(ip(c.ns) + " link set " + c.iface.name + with_tag + tag_args(c.owner, c.addrgen_none));
    return out;
  }
  if (c.iface.vxlan && c.iface.vxlan->underlay_host && c.ns.kind != NodeKind::host) {
    // A tunnel end between machines is made from the host namespace (its UDP socket
    // stays there) straight into the node; ip looks `master` up where it runs, so
    // the master goes with the tag, in the node.
    const std::string into = c.ns.kind == NodeKind::netns ? c.ns.node : c.ns.path;
    return {"ip link add " + c.iface.name + " netns " + into + settings_args(c.iface) + (c.up ? " up" : "") + " " +
                link_type_args(c.iface),
            ip(c.ns) + " link set " + c.iface.name + (c.master ? " master " + *c.master : "") +
                tag_args(c.owner, c.addrgen_none)};
  }
  return {ip(c.ns) + " link add " + c.iface.name + settings_args(c.iface) + folded + " " + link_type_args(c.iface),
          ip(c.ns) + " link set " + c.iface.name + tag_args(c.owner, c.addrgen_none)};
}

/// `ip link set L netns NS` (the namespace by name, by path, or `1`: pid 1's, the host's).
std::vector<std::string> explain_move(const MoveLink& x) {
  std::string to = x.to.kind == NodeKind::netns  ? x.to.node
                   : x.to.kind == NodeKind::host ? std::string("1")
                                                 : x.to.path;
  std::vector<std::string> out{ip(x.ns) + " link set " + x.link + " netns " + to};
  // The IPv6 state is made anew in the new namespace: the mode goes there, before any carrier.
  if (x.addrgen_none) out.push_back(ip(x.to) + " link set " + x.link + " addrgenmode none");
  return out;
}

/// What --explain shows for a change the create request before it already made.
const std::vector<std::string> k_in_create{"# done by the create request above"};

std::vector<std::string> explain_nat(const SetNat& n) {
  if (n.want.empty()) return {in_ns(n.ns) + "nft delete table inet " + n.table};
  std::vector<std::string> out;
  for (const auto& cmd : nat_table_nft(n.table)) out.push_back(in_ns(n.ns) + cmd);
  auto add_lines = [&](const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(prefix + in_ns(n.ns) + line);
  };
  for (const auto& r : n.want) {
    add_lines(nat_rule_nft(r, n.table), "");
    add_lines(nat_rule_iptables(r), "# iptables form: ");
  }
  return out;
}

} // namespace

std::string describe_route(const ObservedRoute& r) {
  std::string s = r.to.is_default() ? "default" : r.to.str();
  if (r.via) s += " via " + r.via->str();
  if (r.dev) s += " dev " + *r.dev;
  uint32_t default_metric = r.to.addr.family == Family::v6 ? 1024 : 0;
  if (r.metric != default_metric) s += " metric " + std::to_string(r.metric);
  return s;
}

const NsRef& action_ns(const Action& a) {
  return std::visit([](const auto& x) -> const NsRef& { return unboxed(x).ns; }, a);
}

std::string describe(const Action& a) {
  return std::visit(
      Overloaded{
          [](const CreateNetns& x) { return "+ netns " + x.ns.node; },
          [](const DeleteNetns& x) { return "- netns " + x.ns.node; },
          [](const CreateLink& x) { return describe_create(x); },
          [](const DeleteLink& x) {
            std::string s = "- " + std::string(to_string(x.was.kind)) + " " + at(x.ns, x.was.name);
            if (x.peer_ns && x.peer_was) s += " <-> " + at(*x.peer_ns, x.peer_was->name);
            if (!x.reason.empty()) s += " (re-created: " + x.reason + ")";
            return s;
          },
          [](const TagLink& x) {
            return "~ " + at(x.ns, x.link) + " alias " + (x.owner.empty() ? std::string("(none)") : x.owner) +
                   (x.owner == k_shared_tag ? (x.adopt ? " (adopted as shared: up --adopt)" : " (shared: no lab owns it)")
                    : x.adopt              ? " (adopted: up --adopt)"
                    : x.old.empty()        ? " (adopted: left untagged by an interrupted run)"
                                           : "");
          },
          [](const SetMaster& x) {
            return "~ " + at(x.ns, x.link) + (x.master ? " master " + *x.master : std::string(" nomaster"));
          },
          [](const SetMtu& x) {
            return "~ " + at(x.ns, x.link) + " mtu " + std::to_string(x.mtu) + " (was " + std::to_string(x.old) + ")";
          },
          [](const SetMac& x) { return "~ " + at(x.ns, x.link) + " address " + x.mac + " (was " + x.old + ")"; },
          [](const SetUp& x) { return "~ " + at(x.ns, x.link) + (x.up ? " up" : " down"); },
          [](const AddAddress& x) { return "+ address " + at(x.ns, x.link) + " " + x.cidr.str(); },
          [](const DelAddress& x) { return "- address " + at(x.ns, x.link) + " " + x.cidr.str(); },
          [](const AddRoute& x) { return "+ route " + x.ns.node + ": " + describe_route(x.route); },
          [](const DelRoute& x) { return "- route " + x.ns.node + ": " + describe_route(x.route); },
          [](const SetSysctl& x) {
            return "~ sysctl " + x.ns.node + ": " + x.key + " = " + x.value + (x.old.empty() ? "" : " (was " + x.old + ")");
          },
          [](const SetNat& x) {
            if (x.restore) return "~ nat " + x.ns.node + ": restore table " + x.table;
            if (x.want.empty()) return "- nat " + x.ns.node + ": table " + x.table;
            return std::string(x.old ? "~" : "+") + " nat " + x.ns.node + ": table " + x.table + " (" +
                   std::to_string(x.want.size()) + (x.want.size() == 1 ? " rule)" : " rules)");
          },
          [](const SetLinkOptions& x) { return describe_options(x); },
          [](const SetBridgeVlans& x) {
            return "~ " + at(x.ns, x.link) + (x.self ? " self" : "") + " vlans " + vlans_text(x.want) + " (was " +
                   vlans_text(x.old) + ")";
          },
          [](const SetImpair& x) { return describe_impair(x); },
          [](const MoveLink& x) { return "~ move " + at(x.ns, x.link) + " -> " + x.to.node; },
          [](const RenameLink& x) { return "~ rename " + at(x.ns, x.link) + " -> " + x.name; },
      },
      a);
}

std::vector<std::string> explain(const Action& a) {
  using V = std::vector<std::string>;
  return std::visit(
      Overloaded{
          [](const CreateNetns& x) -> V {
            V out{"ip netns add " + x.ns.node};
            out.push_back("ip -n " + x.ns.node + " link set lo" + (x.lo_up ? " up" : "") + " alias " + x.owner);
            return out;
          },
          [](const DeleteNetns& x) -> V { return {"ip netns del " + x.ns.node}; },
          [](const CreateLink& x) -> V { return explain_create(x); },
          [](const DeleteLink& x) -> V { return {ip(x.ns) + " link del " + x.was.name}; },
          [](const TagLink& x) -> V {
            return {ip(x.ns) + " link set " + x.link + " alias " + (x.owner.empty() ? "''" : "'" + x.owner + "'")};
          },
          [](const SetMaster& x) -> V {
            if (x.in_create) return k_in_create;
            return {ip(x.ns) + " link set " + x.link + (x.master ? " master " + *x.master : std::string(" nomaster"))};
          },
          [](const SetMtu& x) -> V { return {ip(x.ns) + " link set " + x.link + " mtu " + std::to_string(x.mtu)}; },
          [](const SetMac& x) -> V { return {ip(x.ns) + " link set " + x.link + " address " + x.mac}; },
          [](const SetUp& x) -> V {
            if (x.in_create) return k_in_create;
            return {ip(x.ns) + " link set " + x.link + (x.up ? " up" : " down")};
          },
          [](const AddAddress& x) -> V {
            return {ip(x.ns) + " addr add " + x.cidr.str() + " dev " + x.link +
                    (x.cidr.addr.family == Family::v6 ? " nodad" : "")};
          },
          [](const DelAddress& x) -> V { return {ip(x.ns) + " addr del " + x.cidr.str() + " dev " + x.link}; },
          [](const AddRoute& x) -> V {
            return {ip(x.ns) + (x.route.to.addr.family == Family::v6 ? " -6" : "") + " route add " +
                    describe_route(x.route) + " proto " + std::to_string(k_route_protocol)};
          },
          [](const DelRoute& x) -> V {
            return {ip(x.ns) + (x.route.to.addr.family == Family::v6 ? " -6" : "") + " route del " +
                    describe_route(x.route) + " proto " +
                    std::to_string(x.route.protocol ? x.route.protocol : k_route_protocol)};
          },
          [](const SetSysctl& x) -> V {
            return {in_ns(x.ns) + "sysctl -w " + x.key + "=" + x.value + "   # " + sysctl_path(x.key)};
          },
          [](const SetNat& x) -> V { return explain_nat(x); },
          [](const SetLinkOptions& x) -> V { return explain_options(x); },
          [](const SetBridgeVlans& x) -> V { return explain_vlans(x); },
          [](const SetImpair& x) -> V { return tc_commands(x, tc(x.ns)); },
          [](const MoveLink& x) -> V { return explain_move(x); },
          [](const RenameLink& x) -> V { return {ip(x.ns) + " link set " + x.link + " name " + x.name}; },
      },
      a);
}

} // namespace netlab
