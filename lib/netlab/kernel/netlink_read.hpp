#pragma once
// Turns one dump each of links, addresses and routes into the Observed vocabulary.
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/state.hpp>

#include <set>

namespace netlab {

/// LinkKind of a link from its IFLA_INFO_KIND (may be null) and its flags.
LinkKind link_kind_of(rtnl_link* link);

/// Fills links (with addresses), owner, lo_up and netlab's routes of `out`
/// (every main-table route with `all_routes`).
Expected<void> read_netlink_state(NlSocket& sock, ObservedNs& out, bool all_routes = false, bool kernel_view = false);

/// Only the links (and owner, lo_up) of `out`: all that is asked of a namespace
/// a plan deletes whole (its addresses and routes go with it).
Expected<void> read_netlink_links(NlSocket& sock, ObservedNs& out);

/// The same for a namespace read before (ObserveUpdate): the links it names read
/// by index or name, `base`'s other links kept, addresses and netlab's routes
/// dumped; `read` gets the indexes of the links read. Returns false (and reads
/// nothing) when a link read again has another name than in `base`: links kept
/// may name it as their master, so read it whole.
Expected<bool> read_netlink_update(NlSocket& sock, const ObservedNs& base, const std::vector<int>& indexes,
                                   const std::vector<std::string>& names, std::set<int>& read, ObservedNs& out);

} // namespace netlab
