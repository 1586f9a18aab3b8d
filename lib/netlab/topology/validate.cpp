#include <netlab/topology/instance.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/topology/validate_sections.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace netlab {

namespace vdetail {

namespace {

constexpr std::array<std::string_view, 10> k_top_keys{"name",  "version", "message",   "namespace_prefix", "nodes",
                                                     "links", "checks",  "exercises", "hosts",            "vxlan_port"};

/// Like check_keys, but a key starting with "x-" is the file's own (a place for
/// anchors that merge keys use, as in Compose files) and is ignored.
void check_top_keys(Diags& d, const RawNode& root) {
  for (const auto* entry : unique_entries(d, root, "key")) {
    const std::string& k = entry->first.scalar;
    if (k.starts_with("x-") || std::ranges::find(k_top_keys, k) != k_top_keys.end()) continue;
    d.error(entry->first.mark, "unknown key " + quoted(k) + suggest(k, k_top_keys));
  }
}

void parse_name(Ctx& c, const RawNode& root) {
  auto f = field(root, "name");
  if (!f) return c.diags.error(root.mark, "missing required key 'name' (the lab name)");
  auto name = read_string(c.diags, *f);
  if (!name) return;
  if (auto problem = lab_name_problem(*name)) return c.diags.error(f->mark, *problem);
  c.topo.name = *name;
}

void parse_version(Ctx& c, const RawNode& root) {
  auto f = field(root, "version");
  if (!f) return;
  auto v = read_int(c.diags, *f, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (v && *v != 1)
    c.diags.error(f->mark, "'version' must be 1 (the only format this netlab reads), got " + std::to_string(*v));
}

void parse_nodes(Ctx& c, const RawNode& root) {
  auto f = field(root, "nodes");
  if (!f) return c.diags.error(root.mark, "missing required key 'nodes'");
  const RawNode* nodes = read_mapping(c.diags, *f);
  if (!nodes) return;
  if (nodes->entries.empty()) return c.diags.error(f->mark, "'nodes' is empty: a lab needs at least one node");
  for (const auto* entry : unique_entries(c.diags, *nodes, "node")) parse_node(c, entry->first, entry->second);
}

} // namespace

void parse_top(Ctx& c, const RawNode& root) {
  if (!root.is_mapping())
    return c.diags.error(root.mark, "a topology must be a mapping with 'name' and 'nodes', got " + describe(root));
  check_top_keys(c.diags, root);
  parse_name(c, root);
  parse_version(c, root);
  if (auto f = field(root, "message"))
    if (auto text = read_text(c.diags, *f)) c.topo.message = std::move(*text);
  if (auto f = field(root, "namespace_prefix"))
    if (auto text = read_string(c.diags, *f)) {
      if (auto problem = namespace_prefix_problem(*text))
        c.diags.error(f->mark, *problem);
      else
        c.topo.prefix = *text;
    }
  parse_hosts(c, root);
  parse_nodes(c, root);
  if (auto f = field(root, "links")) parse_links(c, *f);
  if (auto f = field(root, "checks")) parse_checks(c, *f);
  if (auto f = field(root, "exercises")) parse_exercises(c, *f);
}

} // namespace vdetail

std::string Diagnostic::str() const {
  return path + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.col) + ": " + message;
}

namespace {

/// The model lives as long as the command does, and its lists grew by doubling
/// (the host of a 10,000-namespace tree has 10,000 bridge ports): trimmed to size.
void trim(Topology& topo) {
  topo.nodes.shrink_to_fit();
  topo.links.shrink_to_fit();
  for (auto& node : topo.nodes) node.interfaces.shrink_to_fit();
}

} // namespace

std::expected<Topology, std::vector<Diagnostic>> validate(const RawTopology& raw) {
  vdetail::Ctx c{vdetail::Diags(raw.path, &raw.origins), {}, {}};
  c.topo.source_path = raw.path;
  vdetail::parse_top(c, raw.root);
  vdetail::resolve(c); // parse errors leave marks in Sources that keep it from cascading
  auto problems = c.diags.take_sorted();
  if (!problems.empty()) return std::unexpected(std::move(problems));
  trim(c.topo);
  if (c.topo.prefix.empty()) return std::move(c.topo);
  // namespace_prefix: the renaming pass runs on the valid model (instance.hpp).
  std::string prefix = std::exchange(c.topo.prefix, {});
  auto renamed = with_prefix(std::move(c.topo), prefix);
  if (!renamed) {
    Mark at = raw.root.mark;
    if (auto f = vdetail::field(raw.root, "namespace_prefix")) at = f->mark;
    return std::unexpected(std::vector<Diagnostic>{{raw.path, at, "namespace_prefix: " + renamed.error()}});
  }
  return std::move(*renamed);
}

std::expected<Topology, std::string> load_and_validate(const std::string& path) {
  auto raw = load_file(path);
  if (!raw) return std::unexpected(raw.error().message);
  auto topo = validate(*raw);
  if (topo) return std::move(*topo);
  std::string text;
  for (const auto& d : topo.error()) text += (text.empty() ? "" : "\n") + d.str();
  return std::unexpected(text);
}

std::optional<std::string> lab_name_problem(std::string_view name) {
  // "<lab>@<instance>": the file's rule for each side; '@' is in no file's name.
  auto at = name.find('@');
  if (at == std::string_view::npos) return vdetail::lab_name_problem(name);
  if (auto problem = vdetail::lab_name_problem(name.substr(0, at))) return problem;
  return instance_name_problem(name.substr(at + 1));
}

} // namespace netlab
