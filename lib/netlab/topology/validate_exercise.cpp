// `exercises:`: a task, the breakage it starts from (edits of the lab's own
// model), its checks and hints. References are recorded here and resolved after
// every node is known, so a breakage can only name what the lab declares.
#include <netlab/topology/validate_sections.hpp>
#include <netlab/topology/validate_values.hpp>

#include <algorithm>
#include <array>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 5> k_exercise_keys{"name", "task", "start", "checks", "hints"};
constexpr std::array<std::string_view, 9> k_start_keys{
    "node", "lo", "down", "remove_route", "remove_address", "interface", "sysctl", "forwarding", "remove_nat"};
constexpr std::array<std::string_view, 7> k_start_changes{"lo",     "down",       "remove_route", "remove_address",
                                                          "sysctl", "forwarding", "remove_nat"};
constexpr std::array<std::string_view, 1> k_down{"down"};
constexpr std::array<std::string_view, 4> k_nat_kinds{"all", "masquerade", "snat", "dnat"};

void parse_change(Ctx& c, Breakage& b, const Field& f, const RawNode& item) {
  using T = Breakage::Type;
  if (f.key == "lo") {
    b.type = T::lo_down;
    (void)read_choice(c.diags, f, k_down);
  } else if (f.key == "down") {
    b.type = T::link_down;
    if (auto name = read_ifname(c.diags, f)) b.iface = *name;
  } else if (f.key == "remove_route") {
    b.type = T::remove_route;
    auto text = read_string(c.diags, f);
    if (!text) return;
    if (*text == "default") b.to = Cidr{};
    else b.to = take(c.diags, f.mark, parse_prefix("remove_route", *text, true));
  } else if (f.key == "remove_address") {
    b.type = T::remove_address;
    auto text = read_string(c.diags, f);
    if (text) b.address = take(c.diags, f.mark, parse_interface_address(*text));
    if (auto i = field(item, "interface"))
      if (auto name = read_ifname(c.diags, *i)) b.iface = *name;
  } else if (f.key == "sysctl") {
    b.type = T::sysctl;
    const RawNode* map = read_mapping(c.diags, f);
    if (!map) return;
    if (map->entries.size() != 1 || !map->entries[0].first.is_scalar() || !map->entries[0].second.is_scalar())
      return c.diags.error(f.mark, "'sysctl' takes one key and its value, like {net.ipv4.ip_forward: 0}");
    b.key = map->entries[0].first.scalar;
    b.value = map->entries[0].second.scalar;
  } else if (f.key == "forwarding") {
    b.type = T::forwarding_off;
    if (auto on = read_bool(c.diags, f); on && *on)
      c.diags.error(f.mark, "'forwarding' in an exercise's start can only be false (it breaks the lab)");
  } else if (f.key == "remove_nat") {
    b.type = T::remove_nat;
    b.nat = read_choice(c.diags, f, k_nat_kinds).value_or("all");
  }
}

void parse_breakage(Ctx& c, Exercise& ex, ExerciseSrc& src, const RawNode& item) {
  if (!item.is_mapping())
    return c.diags.error(item.mark, "a start entry must be a mapping like {node: ns1, lo: down}, got " +
                                        describe(item));
  check_keys(c.diags, item, k_start_keys);
  Breakage b;
  b.mark = item.mark;
  Mark node_mark = item.mark;
  if (auto f = field(item, "node")) {
    if (auto name = read_string(c.diags, *f)) b.node = *name;
    node_mark = f->mark;
  } else {
    c.diags.error(item.mark, "a start entry needs 'node' (the node it breaks)");
  }
  std::vector<Field> changes;
  for (auto key : k_start_changes)
    if (auto f = field(item, key)) changes.push_back(*f);
  if (changes.size() != 1)
    return c.diags.error(item.mark, "a start entry makes exactly one change (lo, down, remove_route, remove_address, "
                                    "sysctl, forwarding or remove_nat), got " + std::to_string(changes.size()));
  if (auto i = field(item, "interface"); i && changes[0].key != "remove_address")
    c.diags.error(i->key_mark, "'interface' is only valid with 'remove_address'");
  parse_change(c, b, changes[0], item);
  ex.start.push_back(std::move(b));
  src.start_nodes.push_back(node_mark);
}

void parse_hints(Ctx& c, Exercise& ex, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) {
    if (!item.is_scalar() && !item.is_mapping()) {
      c.diags.error(item.mark, "a hint must be text or a mapping of languages like {en: ..., zh: ...}, got " +
                                   describe(item));
      continue;
    }
    if (auto text = read_text(c.diags, Field{"hint", item, item.mark, item.mark})) ex.hints.push_back(std::move(*text));
  }
}

void parse_exercise(Ctx& c, const RawNode& item) {
  Exercise ex;
  ex.mark = item.mark;
  ExerciseSrc src;
  if (!item.is_mapping()) {
    c.diags.error(item.mark, "an exercise must be a mapping with 'task' and 'start', got " + describe(item));
  } else {
    check_keys(c.diags, item, k_exercise_keys);
    if (auto f = field(item, "name"))
      if (auto text = read_string(c.diags, *f)) ex.name = *text;
    if (auto f = field(item, "task")) {
      if (auto text = read_text(c.diags, *f)) ex.task = std::move(*text);
    } else {
      c.diags.error(item.mark, "an exercise needs 'task' (what the student is asked to do)");
    }
    if (auto f = field(item, "start"); !f) {
      c.diags.error(item.mark, "an exercise needs 'start' (what is broken when it starts)");
    } else if (const RawNode* list = read_sequence(c.diags, *f)) {
      if (list->items.empty()) c.diags.error(f->mark, "'start' is empty: an exercise starts with something broken");
      for (const auto& b : list->items) parse_breakage(c, ex, src, b);
    }
    if (auto f = field(item, "checks")) {
      // The check parser appends to the lab's checks: take what it added.
      const std::size_t before = c.topo.checks.size();
      parse_checks(c, *f);
      ex.checks.assign(std::make_move_iterator(c.topo.checks.begin() + static_cast<std::ptrdiff_t>(before)),
                       std::make_move_iterator(c.topo.checks.end()));
      src.checks.assign(c.src.checks.begin() + static_cast<std::ptrdiff_t>(before), c.src.checks.end());
      c.topo.checks.resize(before);
      c.src.checks.resize(before);
    }
    if (auto f = field(item, "hints")) parse_hints(c, ex, *f);
  }
  c.topo.exercises.push_back(std::move(ex));
  c.src.exercises.push_back(std::move(src));
}

std::vector<std::string_view> exercise_node_names(const Topology& t) {
  std::vector<std::string_view> out;
  for (const auto& n : t.nodes) out.push_back(n.name);
  return out;
}

const Node* exercise_node_ref(Ctx& c, std::string_view key, const std::string& name, Mark at) {
  if (const Node* n = c.topo.find_node(name)) return n;
  auto names = exercise_node_names(c.topo);
  c.diags.error(at, "'" + std::string(key) + "': no node named " + quoted(name) + suggest(name, names));
  return nullptr;
}

bool start_route_matches(const Route& r, const Cidr& to) {
  if (to.prefix == 0 && to.addr == IpAddr{}) return r.to.prefix == 0; // "default", either family
  return r.to == to;
}

void resolve_breakage(Ctx& c, const Breakage& b, Mark node_mark) {
  using T = Breakage::Type;
  const Node* node = exercise_node_ref(c, "node", b.node, node_mark);
  if (!node) return;
  const std::string where = "node " + quoted(node->name);
  switch (b.type) {
  case T::lo_down:
    if (node->kind != NodeKind::netns) c.diags.error(b.mark, "'lo: down' needs a netns node; " + where + " is not");
    break;
  case T::link_down:
    if (!b.iface.empty() && !node->find_interface(b.iface))
      c.diags.error(b.mark, where + " has no interface " + quoted(b.iface));
    else if (const Interface* i = b.iface.empty() ? nullptr : node->find_interface(b.iface); i && i->shared)
      c.diags.error(b.mark, quoted(b.iface) + " is shared with other labs: an exercise cannot set it down");
    break;
  case T::remove_route:
    if (b.to && std::ranges::none_of(node->routes, [&](const Route& r) { return start_route_matches(r, *b.to); }))
      c.diags.error(b.mark, where + " declares no route to " + (b.to->prefix == 0 ? "default" : b.to->str()));
    break;
  case T::remove_address: {
    if (!b.address) break;
    bool found = std::ranges::any_of(node->interfaces, [&](const Interface& i) {
      return (b.iface.empty() || i.name == b.iface) && std::ranges::find(i.addresses, *b.address) != i.addresses.end();
    });
    if (!found) c.diags.error(b.mark, where + " declares no address " + b.address->str());
    bool on_shared = std::ranges::any_of(node->interfaces, [&](const Interface& i) {
      return i.shared && (b.iface.empty() || i.name == b.iface) &&
             std::ranges::find(i.addresses, *b.address) != i.addresses.end();
    });
    if (on_shared) c.diags.error(b.mark, b.address->str() + " is on a shared interface: an exercise cannot remove it");
    break;
  }
  case T::sysctl:
  case T::forwarding_off: break;
  case T::remove_nat:
    if (node->nat.empty()) c.diags.error(b.mark, where + " has no NAT rules to remove");
    break;
  }
}

} // namespace

void parse_exercises(Ctx& c, const Field& f) {
  const RawNode* list = read_sequence(c.diags, f);
  if (!list) return;
  for (const auto& item : list->items) parse_exercise(c, item);
}

void resolve_exercises(Ctx& c) {
  for (std::size_t e = 0; e < c.topo.exercises.size(); ++e) {
    const Exercise& ex = c.topo.exercises[e];
    const ExerciseSrc& src = c.src.exercises[e];
    for (std::size_t k = 0; k < ex.start.size(); ++k) resolve_breakage(c, ex.start[k], src.start_nodes[k]);
    for (std::size_t k = 0; k < ex.checks.size(); ++k) {
      if (src.checks[k].from) (void)exercise_node_ref(c, "from", ex.checks[k].from, *src.checks[k].from);
      if (src.checks[k].listen && ex.checks[k].listen)
        (void)exercise_node_ref(c, "listen", *ex.checks[k].listen, *src.checks[k].listen);
      if (ex.checks[k].type == Check::Type::peer && src.checks[k].from)
        (void)exercise_node_ref(c, "is", ex.checks[k].peer_is.node, *src.checks[k].from);
    }
    if (ex.checks.empty() && c.topo.checks.empty())
      c.diags.error(ex.mark, "an exercise needs 'checks' (the lab has none to reuse)");
  }
}

} // namespace netlab::vdetail
