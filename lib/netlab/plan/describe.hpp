#pragma once
// Human text for actions: the plan line (`+ veth ns1:vethB <-> host:vethA`)
// and, for --explain, the iproute2 / nft commands a student would type.
#include <netlab/plan/action.hpp>

#include <string>
#include <vector>

namespace netlab {

/// "default via 192.168.10.1", "10.0.0.0/24 dev vethB metric 10".
std::string describe_route(const ObservedRoute& r);

/// One plan line: '+' creates, '-' deletes, '~' changes.
std::string describe(const Action& a);

/// The commands that do the same by hand (`ip -n ns1 link set vethB up`).
std::vector<std::string> explain(const Action& a);

/// Node the action happens in (for grouping and messages).
const NsRef& action_ns(const Action& a);

} // namespace netlab
