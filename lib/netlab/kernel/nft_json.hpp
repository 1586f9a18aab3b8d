#pragma once
// Pure translation of NatRule values into libnftables JSON and nft syntax, and
// the canonical form of a lab table. No I/O: unit tests cover every rule shape.
// The JSON is written exactly as `nft -j list table` prints it back, so the
// canonical form of what we send equals the canonical form of what we read.
#include <netlab/topology/model.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// One base chain of a lab table.
struct NatChainSpec {
  std::string_view name;      ///< also the hook name
  int prio;                   ///< numeric priority (nft JSON has no symbolic names)
  std::string_view prio_text; ///< priority as nft syntax prints it
};

/// {"family": k_nat_family, "name": table}: a table as nft JSON commands name it.
nlohmann::json table_ref(const std::string& table);

/// The lab table's chains in creation (and so listing) order: postrouting, prerouting, output.
const std::vector<NatChainSpec>& nat_chains();

/// One nft rule derived from a NatRule.
struct NftRule {
  std::string chain;   ///< postrouting | prerouting | output
  nlohmann::json expr; ///< JSON statement array, as `nft -j list` prints it
  std::string text;    ///< the same rule in nft syntax
};

/// Why `rule` cannot be turned into nft rules, or "" if it can.
std::string nat_rule_problem(const NatRule& rule);

/// The nft rules for `rule`: one in postrouting (masquerade, snat) or two (dnat: prerouting, output).
std::vector<NftRule> nat_nft_rules(const NatRule& rule);

/// The objects `nft -j list table` shows for a table holding `rules`, without handles.
nlohmann::json nat_table_objects(const std::string& table, const std::vector<NatRule>& rules);

/// Canonical string of a table's objects: handles dropped, counters zeroed, compact, keys sorted.
std::string nat_canonical_objects(nlohmann::json objects);

/// Canonical string of a `nft -j list table` answer (metainfo dropped), "" if it holds no table.
std::string nat_canonical_from_listing(const nlohmann::json& listing);

/// The one atomic batch that makes the table hold exactly `objects` (empty: deletes the table;
/// a missing table is fine either way).
nlohmann::json nat_replace_batch(const std::string& table, const nlohmann::json& objects);

/// Shell-quotes `cmd` for display if the shell would eat any of its characters.
std::string shell_quoted(const std::string& cmd);

} // namespace netlab
