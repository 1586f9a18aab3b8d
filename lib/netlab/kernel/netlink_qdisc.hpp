#pragma once
// Link impairment over libnl's qdisc API: netlab's layout (see plan/impair.hpp)
// written one request per qdisc on the link's namespace socket, read back from
// one qdisc dump per namespace.
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/state.hpp>

#include <netlink/route/qdisc.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

using RtnlQdiscPtr = std::unique_ptr<rtnl_qdisc, NlRelease<rtnl_qdisc_put>>;

/// Fills `impair` and `qdisc` of every link in `out` from the namespace's root qdiscs.
Expected<void> read_root_qdiscs(NlSocket& sock, ObservedNs& out);

/// Gives link `name` netlab's qdiscs for `want`, replacing what is there in
/// place; nothing to shape (nullopt, or only zeros) deletes the root qdisc.
NlExpected<void> set_impairment(NlSocket& sock, const std::string& name, const std::optional<Impairment>& want,
                                uint32_t mtu);

/// A tbf at `parent` with `handle` shaping to `rate_bps` (sized by tbf_shape).
RtnlQdiscPtr make_tbf(int ifindex, uint32_t parent, uint32_t handle, uint64_t rate_bps, uint32_t mtu);
/// netlab's netem root for the netem fields of `i` (rate is its tbf child's).
RtnlQdiscPtr make_netem(int ifindex, const Impairment& i);

/// What a root qdisc (with netem's tbf child, or null) does, in the file's
/// terms; nullopt for kinds netlab does not make. netem's default limit is left out.
std::optional<Impairment> impairment_of(rtnl_qdisc* root, rtnl_qdisc* child);

/// The kernel config option behind a qdisc kind ("CONFIG_NET_SCH_NETEM"), or null.
const char* qdisc_config_option(std::string_view kind);

/// Kinds among `kinds` the kernel has no qdisc for, tried on `lo` of the
/// socket's namespace (a throwaway one: this leaves a qdisc there).
std::vector<std::string> probe_missing_qdiscs(NlSocket& sock, const std::vector<std::string>& kinds);

} // namespace netlab
