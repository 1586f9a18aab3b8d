// Actions as data for --json (schema/json/common.schema.json#/definitions/action):
// {"op", "object", "node", "name", "peer"?, "fields"?, "old"?, "in_create"?, "text"}.
#include <netlab/report/report.hpp>

#include <netlab/plan/describe.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/util/overloaded.hpp>

#include <nlohmann/json.hpp>

namespace netlab {

using nlohmann::json;

namespace {

/// The skeleton every action shares; `text` is the plan line a human reads.
json head(const char* op, std::string_view object, const NsRef& ns, const std::string& name) {
  return {{"op", op}, {"object", std::string(object)}, {"node", ns.node}, {"name", name}};
}

json vlans_json(const std::vector<BridgeVlan>& vlans) {
  json out = json::array();
  for (const auto& v : vlans)
    out.push_back({{"id", v.id}, {"last", v.last}, {"pvid", v.pvid}, {"untagged", v.untagged}});
  return out;
}

/// The settings an interface is created with: only what the file sets.
json interface_fields(const Interface& i) {
  json f = json::object();
  if (i.mtu) f["mtu"] = *i.mtu;
  if (i.mac) f["mac"] = *i.mac;
  if (i.macvlan) f.update({{"parent", i.macvlan->parent}, {"mode", i.macvlan->mode}});
  if (i.vlan) f.update({{"parent", i.vlan->parent}, {"id", i.vlan->id}});
  if (i.vxlan) {
    f.update({{"id", i.vxlan->id}, {"dstport", i.vxlan->dstport}});
    if (i.vxlan->remote) f["remote"] = i.vxlan->remote->str();
    if (i.vxlan->local) f["local"] = i.vxlan->local->str();
    if (i.vxlan->dev) f["dev"] = *i.vxlan->dev;
  }
  if (i.tun) {
    if (i.tun->user) f["user"] = *i.tun->user;
    if (i.tun->group) f["group"] = *i.tun->group;
    f["multi_queue"] = i.tun->multi_queue;
  }
  if (i.bridge) f["vlan_filtering"] = i.bridge->vlan_filtering;
  return f;
}

json create_link(const CreateLink& x) {
  json j = head("create", to_string(x.iface.kind), x.ns, x.iface.name);
  json f = interface_fields(x.iface);
  if (x.master) f["master"] = *x.master;
  f["up"] = x.up;
  j["fields"] = f;
  if (x.peer && x.peer_ns) {
    json peer{{"node", x.peer_ns->node}, {"name", x.peer->name}};
    json pf = interface_fields(*x.peer);
    if (x.other_master) pf["master"] = *x.other_master;
    pf["up"] = x.other_up;
    peer["fields"] = pf;
    j["peer"] = peer;
  }
  return j;
}

json delete_link(const DeleteLink& x) {
  json j = head("delete", to_string(x.was.kind), x.ns, x.was.name);
  if (x.peer_ns && x.peer_was) j["peer"] = {{"node", x.peer_ns->node}, {"name", x.peer_was->name}};
  if (!x.reason.empty()) j["fields"] = {{"reason", x.reason}};
  return j;
}

/// One changed setting of a link: {"op":"set","object":"link",...,"fields":{key: want},"old":{key: old}}.
json set_link(const NsRef& ns, const std::string& link, const std::string& key, json want, json old) {
  json j = head("set", "link", ns, link);
  j["fields"] = {{key, std::move(want)}};
  j["old"] = {{key, std::move(old)}};
  return j;
}

json impairment_json(const Impairment& i) {
  json f = json::object();
  if (i.rate_bps) f["rate_bps"] = *i.rate_bps;
  if (i.delay_us) f["delay_us"] = *i.delay_us;
  if (i.jitter_us) f["jitter_us"] = *i.jitter_us;
  if (i.loss_pct) f["loss_pct"] = *i.loss_pct;
  if (i.duplicate_pct) f["duplicate_pct"] = *i.duplicate_pct;
  if (i.limit_pkts) f["limit_pkts"] = *i.limit_pkts;
  return f;
}

json route_fields(const ObservedRoute& r) {
  json f{{"to", r.to.is_default() ? std::string("default") : r.to.str()}, {"metric", r.metric}};
  if (r.via) f["via"] = r.via->str();
  if (r.dev) f["dev"] = *r.dev;
  return f;
}

json route_json(const char* op, const NsRef& ns, const ObservedRoute& r) {
  json j = head(op, "route", ns, route_fields(r)["to"].get<std::string>());
  j["fields"] = route_fields(r);
  return j;
}

json action_data(const Action& a) {
  return std::visit(
      Overloaded{
          [](const CreateNetns& x) { return head("create", "netns", x.ns, x.ns.node); },
          [](const DeleteNetns& x) { return head("delete", "netns", x.ns, x.ns.node); },
          [](const CreateLink& x) { return create_link(x); },
          [](const DeleteLink& x) { return delete_link(x); },
          [](const TagLink& x) { return set_link(x.ns, x.link, "alias", x.owner, x.old); },
          [](const SetMaster& x) {
            return set_link(x.ns, x.link, "master", x.master ? json(*x.master) : json(nullptr),
                            x.old ? json(*x.old) : json(nullptr));
          },
          [](const SetMtu& x) { return set_link(x.ns, x.link, "mtu", x.mtu, x.old); },
          [](const SetMac& x) { return set_link(x.ns, x.link, "mac", x.mac, x.old); },
          [](const SetUp& x) { return set_link(x.ns, x.link, "up", x.up, x.old); },
          [](const AddAddress& x) {
            json j = head("create", "address", x.ns, x.link);
            j["fields"] = {{"address", x.cidr.str()}};
            return j;
          },
          [](const DelAddress& x) {
            json j = head("delete", "address", x.ns, x.link);
            j["fields"] = {{"address", x.cidr.str()}};
            return j;
          },
          [](const AddRoute& x) { return route_json("create", x.ns, x.route); },
          [](const DelRoute& x) { return route_json("delete", x.ns, x.route); },
          [](const SetSysctl& x) {
            json j = head("set", "sysctl", x.ns, x.key);
            j["fields"] = {{"value", x.value}};
            if (!x.old.empty()) j["old"] = {{"value", x.old}};
            return j;
          },
          [](const SetNat& x) {
            const char* op = x.restore ? "set" : x.want.empty() ? "delete" : x.old ? "set" : "create";
            json j = head(op, "nat", x.ns, x.table);
            j["fields"] = {{"rules", x.want.size()}, {"restore", x.restore}};
            return j;
          },
          [](const SetLinkOptions& x) {
            json j = head("set", "link", x.ns, x.want.name);
            json f{{"kind", std::string(to_string(x.want.kind))}};
            json old = json::object();
            for (const auto& c : kind_option_changes(x.want, x.old)) {
              f[c.field] = c.want;
              old[c.field] = c.have;
            }
            j["fields"] = f;
            j["old"] = old;
            return j;
          },
          [](const SetBridgeVlans& x) {
            json j = set_link(x.ns, x.link, "vlans", vlans_json(x.want), vlans_json(x.old));
            j["fields"]["self"] = x.self;
            return j;
          },
          [](const SetImpair& x) {
            bool removes = !x.want || !shapes_traffic(*x.want); // as describe() says it
            json j = head(removes ? "delete" : "set", "impair", x.ns, x.link);
            if (x.want) j["fields"] = impairment_json(*x.want);
            if (x.old) j["old"] = impairment_json(*x.old);
            return j;
          },
          // node: where the link is before the move; fields.netns: where it goes.
          [](const MoveLink& x) { return set_link(x.ns, x.link, "netns", x.to.node, x.ns.node); },
          [](const RenameLink& x) { return set_link(x.ns, x.link, "name", x.name, x.link); },
      },
      a);
}

bool in_create(const Action& a) {
  if (const auto* m = std::get_if<SetMaster>(&a)) return m->in_create;
  if (const auto* u = std::get_if<SetUp>(&a)) return u->in_create;
  return false;
}

} // namespace

json action_json(const Action& a, bool with_explain) {
  json j = action_data(a);
  if (in_create(a)) j["in_create"] = true;
  j["text"] = describe(a);
  if (with_explain) j["commands"] = explain(a);
  return j;
}

} // namespace netlab
