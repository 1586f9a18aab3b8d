#pragma once
// NAT through libnftables' JSON API. Every function acts on the network
// namespace of the *calling thread*; callers enter the namespace first
// (run_in_netns). One table per lab per namespace, named by nat_table_name().
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// "netlab-<lab>": the nftables table (family ip / ip6 / inet as chosen by nft.cpp).
std::string nat_table_name(std::string_view lab);

/// Reads the lab's table in canonical form (comparable with nat_canonical()),
/// or nullopt if no such table exists.
Expected<std::optional<std::string>> nft_read_table(const std::string& table);

/// The canonical form nft_read_table() would return once `rules` are applied.
std::string nat_canonical(const std::string& table, const std::vector<NatRule>& rules);

/// Replaces the whole table with `rules` in one atomic transaction
/// (an empty `rules` deletes the table; deleting a missing table is not an error).
Expected<void> nft_replace_table(const std::string& table, const std::vector<NatRule>& rules);

/// Restores a table from what nft_read_table() returned (undo).
Expected<void> nft_restore_table(const std::string& table, const std::optional<std::string>& canonical);

} // namespace netlab
