#pragma once
// Turns one dump each of links, addresses and routes into the Observed vocabulary.
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/state.hpp>

namespace netlab {

/// LinkKind of a link from its IFLA_INFO_KIND (may be null) and its flags.
LinkKind link_kind_of(rtnl_link* link);

/// Fills links (with addresses), owner, lo_up and netlab's routes of `out`
/// (every main-table route with `all_routes`).
Expected<void> read_netlink_state(NlSocket& sock, ObservedNs& out, bool all_routes = false, bool kernel_view = false);

} // namespace netlab
