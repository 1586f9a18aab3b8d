#pragma once
// Instances and prefixes: a pure renaming pass over a validated Topology, so two
// copies of one lab (or two labs that both say ns1) can be up at once.
//
// The rule (docs/topology.md, "Instances and prefixes"):
// - every node's namespace becomes PREFIX + its name (`namespace_prefix: s01-`
//   in the file, or `--instance s01`, whose prefix is "s01-", put in front of the
//   file's own prefix);
// - the `host` node becomes a namespace of the lab's own, PREFIX + its name: an
//   instance never touches the machine's host namespace, so its addresses,
//   routes, sysctls (forwarding) and nft table are its own and two instances of
//   a lab with host-side addresses do not collide;
// - interface names do not change: each lives in a namespace of the instance,
//   so no name has to be shortened or hashed to fit the kernel's 15 bytes;
// - addresses do not change (they are per namespace too);
// - an `external` node cannot be renamed (its namespace is not the lab's, and
//   two copies would add the same interfaces to it): such a lab is refused.
// - a `shared: true` interface of the host node is refused too: it is meant to
//   be the machine's host-namespace object every lab joins, which a renamed
//   copy (its host node a namespace of its own) would silently not join.
// The lab name of an instance is "<file's name>@<instance>"; '@' is allowed in
// no file's name, so an instance's lab name never equals a plain lab's.
#include <netlab/topology/model.hpp>

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace netlab {

/// The longest instance name and namespace_prefix.
inline constexpr std::size_t k_instance_max = 16;

/// Why `name` cannot be an instance name (letters, digits, '_', '.', '-', starting
/// with a letter or digit, at most 16), or nullopt.
std::optional<std::string> instance_name_problem(std::string_view name);

/// Why `prefix` cannot be a namespace_prefix (the same characters, at most 16), or nullopt.
std::optional<std::string> namespace_prefix_problem(std::string_view prefix);

/// Renames every node of `topo` to `prefix` + its name (the host node becomes a
/// namespace of the lab's own) and every reference to a node with it. Applied to
/// an already renamed topology it puts `prefix` in front again; file names stay.
/// Fails, naming the node, for a lab with an external node.
std::expected<Topology, std::string> with_prefix(Topology topo, std::string_view prefix);

/// The instance `instance` of `topo`: lab name "<name>@<instance>", nodes renamed
/// with the prefix "<instance>-" (in front of the file's namespace_prefix).
std::expected<Topology, std::string> instantiate(Topology topo, std::string_view instance);

/// load_and_validate(path), then instantiate() when `instance` is not empty; the
/// problems as text (an instance that cannot be made is one more line).
std::expected<Topology, std::string> load_instance(const std::string& path, std::string_view instance);

/// The instance part of a lab name ("s01" of "bridge-nat@s01"), "" for a plain lab.
std::string instance_of(std::string_view lab);

} // namespace netlab
