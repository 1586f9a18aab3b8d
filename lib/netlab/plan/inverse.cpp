#include <netlab/plan/inverse.hpp>

#include <netlab/plan/diff_kinds.hpp>
#include <netlab/util/overloaded.hpp>

namespace netlab {

namespace {

Interface interface_from(const ObservedLink& l) {
  Interface i = options_of(l); // name, kind and its kind's settings (vxlan id, macvlan parent...)
  i.mtu = l.mtu;
  i.mac = l.mac;
  i.up = l.up;
  i.addresses = l.addresses;
  return i;
}

/// Master, state and addresses that recreating a deleted link must restore.
void restore_settings(std::vector<Action>& out, const NsRef& ns, const ObservedLink& l) {
  if (has_non_default_options(interface_from(l)))
    out.push_back(SetLinkOptions{ns, interface_from(l), default_options(l.name, l.kind)});
  if (l.master) out.push_back(SetMaster{ns, l.name, l.master, std::nullopt});
  if (l.vlans && *l.vlans != default_vlans() && (l.master || l.kind == LinkKind::bridge))
    out.push_back(SetBridgeVlans{ns, l.name, !l.master, *l.vlans, default_vlans()});
  if (l.up) out.push_back(SetUp{ns, l.name, true, false});
  for (const auto& c : l.addresses) out.push_back(AddAddress{ns, l.name, c});
}

std::vector<Action> undo_delete(const DeleteLink& d) {
  std::vector<Action> out;
  CreateLink c{.ns = d.ns, .iface = interface_from(d.was), .owner = d.was.alias, .addrgen_none = d.addrgen_none};
  if (d.peer_ns && d.peer_was) {
    c.peer_ns = d.peer_ns;
    c.peer = interface_from(*d.peer_was);
    c.peer_addrgen_none = d.peer_addrgen_none;
  }
  out.push_back(std::move(c));
  restore_settings(out, d.ns, d.was);
  if (d.peer_ns && d.peer_was) restore_settings(out, *d.peer_ns, *d.peer_was);
  return out;
}

} // namespace

std::vector<Action> inverse(const Action& a) {
  using V = std::vector<Action>;
  return std::visit(
      Overloaded{
          [](const CreateNetns& x) -> V { return {DeleteNetns{x.ns, x.owner}}; },
          [](const DeleteNetns&) -> V { return {}; },
          [](const CreateLink& x) -> V {
            ObservedLink was;
            was.name = x.iface.name;
            was.kind = x.iface.kind;
            return {DeleteLink{x.ns, was, {}, {}}};
          },
          [](const DeleteLink& x) -> V { return undo_delete(x); },
          [](const TagLink& x) -> V { return {TagLink{x.ns, x.link, x.old, x.owner}}; },
          // A change the create request made is undone with the link (or namespace) itself.
          [](const SetMaster& x) -> V {
            if (x.in_create) return {};
            return {SetMaster{x.ns, x.link, x.old, x.master}};
          },
          [](const SetMtu& x) -> V { return {SetMtu{x.ns, x.link, x.old, x.mtu}}; },
          [](const SetMac& x) -> V { return {SetMac{x.ns, x.link, x.old, x.mac}}; },
          [](const SetUp& x) -> V {
            if (x.in_create) return {};
            return {SetUp{x.ns, x.link, x.old, x.up}};
          },
          [](const AddAddress& x) -> V { return {DelAddress{x.ns, x.link, x.cidr}}; },
          [](const DelAddress& x) -> V { return {AddAddress{x.ns, x.link, x.cidr}}; },
          [](const AddRoute& x) -> V { return {DelRoute{x.ns, x.route}}; },
          [](const DelRoute& x) -> V { return {AddRoute{x.ns, x.route}}; },
          [](const SetSysctl& x) -> V {
            if (x.old.empty()) return {}; // unknown before (fresh namespace): goes with it
            return {SetSysctl{x.ns, x.key, x.old, x.value}};
          },
          [](const SetNat& x) -> V { return {SetNat{x.ns, x.table, {}, x.old, true}}; },
          [](const SetLinkOptions& x) -> V { return {SetLinkOptions{x.ns, x.old, x.want}}; },
          [](const SetBridgeVlans& x) -> V { return {SetBridgeVlans{x.ns, x.link, x.self, x.old, x.want}}; },
          // A root qdisc that was not netlab's shape (old empty) cannot be rebuilt: undo removes ours.
          [](const SetImpair& x) -> V { return {SetImpair{x.ns, x.link, x.old, x.want, x.mtu}}; },
          // Back where it came from, so the undo of its CreateLink finds it under the name it was made with.
          [](const MoveLink& x) -> V { return {MoveLink{x.to, x.link, x.ns, false}}; },
          [](const RenameLink& x) -> V { return {RenameLink{x.ns, x.name, x.link}}; },
      },
      a);
}

} // namespace netlab
