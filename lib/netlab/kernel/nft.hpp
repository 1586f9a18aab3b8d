#pragma once
// NAT through libnftables' JSON API. Every function acts on the network
// namespace of the *calling thread*; callers enter the namespace first
// (run_in_netns). One table per lab per namespace, named by nat_table_name(),
// in family k_nat_family ("inet": one table holds IPv4 and IPv6 NAT).
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// nftables family of every lab table: inet (NAT in inet needs Linux >= 5.2).
inline constexpr std::string_view k_nat_family = "inet";

/// "netlab-<lab>": the nftables table (family k_nat_family).
std::string nat_table_name(std::string_view lab);

/// Name of the empty chain (no hook, no rules) that marks a table as netlab's:
/// "owner-<table>", e.g. owner-netlab-bridge-nat. A table `netlab-<lab>` without
/// it is someone else's: never flushed, replaced or deleted. (nftables 1.0.6's
/// JSON API neither sets nor reports table comments, so the mark is an object.)
std::string nat_mark_chain(std::string_view table);

/// Whether a canonical table (nft_read_table, nat_canonical) carries netlab's mark.
bool nat_table_marked(const std::string& canonical, const std::string& table);

/// Reads the lab's table in canonical form (comparable with nat_canonical()),
/// or nullopt if no such table exists.
Expected<std::optional<std::string>> nft_read_table(const std::string& table);

/// The whole ruleset of the calling namespace, as `nft -j list ruleset` prints it (export).
Expected<std::string> nft_read_ruleset();

/// The same as `nft -a list ruleset` prints it (text, with handles).
Expected<std::string> nft_read_ruleset_text();

/// The canonical form nft_read_table() would return once `rules` are applied
/// ("" for empty `rules`: no table at all).
std::string nat_canonical(const std::string& table, const std::vector<NatRule>& rules);

/// Replaces the whole table with `rules` in one atomic transaction
/// (an empty `rules` deletes the table; deleting a missing table is not an error).
/// Refuses a table of that name without netlab's mark.
Expected<void> nft_replace_table(const std::string& table, const std::vector<NatRule>& rules);

/// Restores a table from what nft_read_table() returned (undo).
Expected<void> nft_restore_table(const std::string& table, const std::optional<std::string>& canonical);

/// Ways the calling namespace silently defeats `node`'s NAT or forwarding
/// (ip_forward off, br_netfilter on a bridge, a foreign forward chain with policy drop);
/// each warning names the fix. Reads only; never changes anything.
std::vector<std::string> nat_preflight_warnings(const Node& node);

/// The `nft` commands that create the lab table, its three chains and its mark (for --explain).
std::vector<std::string> nat_table_nft(std::string_view table);

/// The `nft add rule ...` command(s) equivalent to `rule` (dnat: prerouting and output; one per line).
std::string nat_rule_nft(const NatRule& rule, std::string_view table = {});

/// The `iptables -t nat -A ...` command(s) a tutorial would use for `rule` (ip6tables for IPv6).
std::string nat_rule_iptables(const NatRule& rule);

} // namespace netlab
