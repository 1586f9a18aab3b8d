#include <netlab/util/netns.hpp>

#include <cerrno>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>

namespace netlab {

NsRef ns_ref_for(const Node& node) {
  NsRef ref{node.name, node.kind, {}};
  if (node.kind == NodeKind::netns) ref.path = std::string(k_netns_dir) + "/" + node.name;
  if (node.kind == NodeKind::external) ref.path = node.netns_path.value_or("");
  return ref;
}

Expected<UniqueFd> open_netns(const NsRef& ns) {
  std::string path = ns.kind == NodeKind::host ? "/proc/self/ns/net" : ns.path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("namespace '" + ns.node + "' (" + path + "): " + errno_text(errno));
  UniqueFd owned(fd);
  // A path can name any file; setns() would only say EINVAL much later.
  if (ns.kind != NodeKind::host && ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
    return fail("namespace '" + ns.node + "' (" + path + "): not a network namespace");
  return owned;
}

uint64_t current_netns_id() {
  UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (sock && ::getsockopt(sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0 && cookie) return cookie;
  struct stat st {};
  if (::stat("/proc/thread-self/ns/net", &st) == 0) return static_cast<uint64_t>(st.st_ino);
  return 0;
}

Expected<void> run_in_netns(int netns_fd, const std::function<Expected<void>()>& fn) {
  Expected<void> result;
  std::thread worker([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      result = fail(std::string("setns: ") + errno_text(errno));
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

} // namespace netlab
