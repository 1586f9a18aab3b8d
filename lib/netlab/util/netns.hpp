#pragma once
// Entering namespaces safely: setns() only affects the calling thread, so code
// that must run "inside" a namespace runs on a short-lived thread that enters it.
#include <netlab/kernel/state.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/fd.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace netlab {

/// Where named namespaces live (`ip netns` compatible).
inline constexpr const char* k_netns_dir = "/run/netns";

/// The namespace a node refers to: /run/netns/<name>, an external path, or the host.
NsRef ns_ref_for(const Node& node);

/// Opens the namespace file of `ns` (O_RDONLY|O_CLOEXEC); the host is /proc/self/ns/net.
/// A missing named namespace fails with errno ENOENT in the message.
Expected<UniqueFd> open_netns(const NsRef& ns);

/// Which network namespace the calling thread is in: its cookie (Linux 5.14+),
/// else the inode of /proc/thread-self/ns/net; the same id observe() reports as
/// ObservedNs::ns_id. 0 when neither can be read.
uint64_t current_netns_id();

/// Runs `fn` on a new thread that has entered the network namespace `netns_fd`;
/// returns fn's result. The calling thread's namespace never changes.
Expected<void> run_in_netns(int netns_fd, const std::function<Expected<void>()>& fn);

} // namespace netlab
