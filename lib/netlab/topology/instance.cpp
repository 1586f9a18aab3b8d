#include <netlab/topology/instance.hpp>
#include <netlab/topology/validate.hpp>

#include <algorithm>

namespace netlab {

namespace {

bool instance_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

/// The lab-name rule's characters; a name that breaks it is not shown (it may hold
/// control characters), only described.
std::optional<std::string> simple_problem(std::string_view what, std::string_view name) {
  if (name.empty()) return std::string(what) + " must not be empty";
  if (!std::all_of(name.begin(), name.end(), instance_char))
    return std::string(what) + " may hold only letters, digits, '_', '.' and '-'";
  const std::string shown = "'" + std::string(name) + "'";
  if (name.size() > k_instance_max)
    return std::string(what) + " " + shown + " is " + std::to_string(name.size()) + " characters; at most " +
           std::to_string(k_instance_max) + " are allowed";
  if (name[0] == '_' || name[0] == '.' || name[0] == '-')
    return std::string(what) + " " + shown + " must start with a letter or digit";
  if (name.find("..") != std::string_view::npos) return std::string(what) + " " + shown + " must not contain '..'";
  return std::nullopt;
}

void put_prefix(std::string& node, std::string_view prefix) { node.insert(0, prefix); }

} // namespace

std::optional<std::string> instance_name_problem(std::string_view name) {
  return simple_problem("instance name", name);
}

std::optional<std::string> namespace_prefix_problem(std::string_view prefix) {
  return simple_problem("namespace_prefix", prefix);
}

std::expected<Topology, std::string> with_prefix(Topology topo, std::string_view prefix) {
  for (const Node& n : topo.nodes)
    if (n.kind == NodeKind::external)
      return std::unexpected("node '" + n.as_written() +
                             "' is kind external: its namespace is not the lab's, and two copies of the lab "
                             "would add the same interfaces to it; a lab with an external node cannot be "
                             "renamed (run it plain)");
  for (const Node& n : topo.nodes)
    for (const Interface& i : n.interfaces)
      if (i.shared)
        return std::unexpected("interface '" + i.name + "' of node '" + n.as_written() +
                               "' is shared: it lives in the machine's host namespace, which a renamed copy of the "
                               "lab does not use (its host node becomes a namespace of its own); run the lab plain");
  for (Node& n : topo.nodes) {
    if (n.file_name.empty()) n.file_name = n.name;
    put_prefix(n.name, prefix);
    // The host node becomes a namespace of the lab's own: see instance.hpp.
    if (n.kind == NodeKind::host) n.kind = NodeKind::netns;
    for (Interface& i : n.interfaces) {
      if (i.peer) put_prefix(i.peer->node, prefix);
      if (i.created_in) put_prefix(*i.created_in, prefix);
    }
  }
  for (Link& l : topo.links) {
    put_prefix(l.a.node, prefix);
    put_prefix(l.b.node, prefix);
  }
  // Every node a check names: the lab's own and each exercise's.
  auto prefix_check = [&](Check& c) {
    put_prefix(c.from, prefix);
    if (c.listen) put_prefix(*c.listen, prefix);
    if (c.type == Check::Type::peer) put_prefix(c.peer_is.node, prefix);
  };
  for (Check& c : topo.checks) prefix_check(c);
  for (Exercise& e : topo.exercises) {
    for (Breakage& b : e.start) put_prefix(b.node, prefix);
    for (Check& c : e.checks) prefix_check(c);
  }
  topo.prefix.insert(0, prefix);
  return topo;
}

std::expected<Topology, std::string> instantiate(Topology topo, std::string_view instance) {
  if (auto problem = instance_name_problem(instance)) return std::unexpected(*problem);
  const std::string base = topo.name;
  auto renamed = with_prefix(std::move(topo), std::string(instance) + "-");
  if (!renamed) return std::unexpected("lab '" + base + "' cannot be instanced: " + renamed.error());
  renamed->name = base + "@" + std::string(instance);
  renamed->instance = std::string(instance);
  return renamed;
}

std::expected<Topology, std::string> load_instance(const std::string& path, std::string_view instance) {
  auto topo = load_and_validate(path);
  if (!topo || instance.empty()) return topo;
  return instantiate(std::move(*topo), instance);
}

std::string instance_of(std::string_view lab) {
  auto at = lab.find('@');
  return at == std::string_view::npos ? std::string() : std::string(lab.substr(at + 1));
}

} // namespace netlab
