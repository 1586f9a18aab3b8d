#include <netlab/kernel/state.hpp>

namespace netlab {

const ObservedLink* ObservedNs::find_link(std::string_view name) const {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

const ObservedLink* ObservedNs::find_link(int ifindex) const {
  for (const auto& l : links)
    if (l.ifindex == ifindex) return &l;
  return nullptr;
}

} // namespace netlab

namespace netlab {

namespace {

std::string link_line(const ObservedLink& l) {
  std::string out = "link " + l.name + " " + std::string(to_string(l.kind)) + (l.up ? " up" : " down");
  out += " mtu " + std::to_string(l.mtu);
  if (!l.mac.empty()) out += " mac " + l.mac;
  if (l.master) out += " master " + *l.master;
  if (!l.alias.empty()) out += " alias " + l.alias;
  if (!l.qdisc.empty()) out += " qdisc " + l.qdisc;
  for (const auto& a : l.addresses) { // not `" " + a.str()`: GCC 12 -Wstringop-overflow false positive (bug 105329)
    out += ' ';
    out += a.str();
  }
  return out;
}

std::string route_line(const ObservedRoute& r) {
  std::string out = "route " + r.to.str();
  if (r.via) out += " via " + r.via->str();
  if (r.dev) out += " dev " + *r.dev;
  return out + " metric " + std::to_string(r.metric);
}

} // namespace

std::vector<std::string> describe_observed(const ObservedNs& ns) {
  if (!ns.exists) return {"(does not exist)"};
  std::vector<std::string> out;
  out.push_back(std::string("namespace") + (ns.owner.empty() ? "" : " owner " + ns.owner) +
                (ns.lo_up ? " lo up" : " lo down"));
  for (const auto& l : ns.links)
    out.push_back(link_line(l));
  for (const auto& r : ns.routes)
    out.push_back(route_line(r));
  for (const auto& [key, value] : ns.sysctls)
    out.push_back("sysctl " + key + " = " + value);
  if (ns.nat_table) out.push_back("nat table " + *ns.nat_table);
  return out;
}

} // namespace netlab
