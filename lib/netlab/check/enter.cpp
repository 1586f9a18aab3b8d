#include <netlab/check/enter.hpp>
#include <netlab/topology/instance.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/netns.hpp>

#include <cerrno>
#include <cstdlib>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace netlab {

namespace {

bool plausible_netns_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

/// What `ip netns exec` does so /sys/class/net shows the namespace's links: a
/// private mount namespace (changes do not leak out) with sysfs mounted afresh,
/// since sysfs shows the network namespace of whoever mounted it.
void remount_sys(const std::string& node) {
  if (::unshare(CLONE_NEWNS) != 0) return;
  if (::mount("", "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) return;
  unsigned long flags = 0;
  struct statvfs st{};
  if (::statvfs("/sys", &st) == 0 && (st.f_flag & ST_RDONLY)) flags |= MS_RDONLY;
  if (::umount2("/sys", MNT_DETACH) != 0) return;
  ::mount(node.c_str(), "/sys", "sysfs", flags, nullptr);
}

} // namespace

Expected<NodeTarget> node_by_netns_name(const std::string& name) {
  if (!plausible_netns_name(name)) return fail("'" + name + "' is not a namespace name");
  NodeTarget t{NsRef{name, NodeKind::netns, std::string(k_netns_dir) + "/" + name}, {}};
  struct stat st{};
  if (::stat(t.ref.path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT)
      return fail("no namespace '" + name + "' in " + k_netns_dir + " (is the lab up? use -f FILE for host or external nodes)");
    return fail(t.ref.path + ": " + errno_text(err));
  }
  return t;
}

Expected<NodeTarget> node_in_topology(const Topology& topo, const std::string& name) {
  const Node* node = topo.find_node_as_written(name);
  if (!node) {
    std::string known;
    for (const auto& n : topo.nodes) known += (known.empty() ? "" : ", ") + n.as_written();
    return fail("lab '" + topo.name + "' has no node '" + name + "' (nodes: " + known + ")");
  }
  return NodeTarget{ns_ref_for(*node), topo.name};
}

Expected<NodeTarget> resolve_node(const std::string& name, const std::string& topology_file,
                                  const std::string& instance) {
  if (topology_file.empty()) return node_by_netns_name(name);
  auto topo = load_instance(topology_file, instance);
  if (!topo) return fail(topo.error(), ExitCode::usage);
  return node_in_topology(*topo, name);
}

Expected<void> enter_node(const NodeTarget& target) {
  auto fd = open_netns(target.ref);
  if (!fd) return std::unexpected(fd.error());
  if (::setns(fd->get(), CLONE_NEWNET) != 0) return fail("enter namespace '" + target.ref.node + "': " + errno_text(errno));
  if (target.ref.kind != NodeKind::host) remount_sys(target.ref.node);
  return {};
}

void export_node_env(const NodeTarget& target) {
  ::setenv("NETLAB_NODE", target.ref.node.c_str(), 1);
  if (!target.lab.empty()) ::setenv("NETLAB_LAB", target.lab.c_str(), 1);
}

} // namespace netlab
