#pragma once
// tun/tap devices are made through /dev/net/tun, not netlink. The device lands
// in the namespace of the thread that opens /dev/net/tun, so callers run these
// on a thread inside the target namespace.
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <cstdint>
#include <string>

namespace netlab {

/// Creates a persistent tun or tap device named iface.name, owned by tun.user / tun.group.
Expected<void> create_persistent_tun(const Interface& iface);

/// Gives the existing tun or tap device iface.name the user and group of iface.tun (unset
/// ones are left: the kernel cannot clear an owner), by attaching to it through
/// /dev/net/tun. Fails with EBUSY while a program holds a single-queue device open.
Expected<void> set_tun_owner(const Interface& iface);

/// Whether the user and group of `opts` exist on this machine (names are looked up, numbers are fine).
Expected<void> check_tun_owner(const TunOptions& opts);

/// The name of a user / group id on this machine, "" when it has none.
std::string user_name(uint32_t uid);
std::string group_name(uint32_t gid);

/// Whether a tun device can be made here at all (opens /dev/net/tun, creates and drops one).
bool tun_available();

} // namespace netlab
