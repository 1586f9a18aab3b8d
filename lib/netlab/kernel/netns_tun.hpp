#pragma once
// tun/tap devices are made through /dev/net/tun, not netlink. The device lands
// in the namespace of the thread that opens /dev/net/tun, so callers run these
// on a thread inside the target namespace.
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

namespace netlab {

/// Creates a persistent tun or tap device named iface.name, owned by tun.user / tun.group.
Expected<void> create_persistent_tun(const Interface& iface);

/// Whether a tun device can be made here at all (opens /dev/net/tun, creates and drops one).
bool tun_available();

} // namespace netlab
