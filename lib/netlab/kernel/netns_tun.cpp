#include <netlab/kernel/netns_tun.hpp>

#include <netlab/util/fd.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/if.h> // struct ifreq (not <net/if.h>: it clashes with <linux/if.h> in a unity file)
#include <linux/if_tun.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <vector>

namespace netlab {

namespace {

constexpr const char* k_tun_device = "/dev/net/tun";

/// A numeric id or a name looked up with `lookup` (getpwnam_r / getgrnam_r).
template <class Entry, class Lookup>
Expected<unsigned> resolve_id(const std::string& text, const char* what, Lookup lookup) {
  unsigned id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec == std::errc() && end == text.data() + text.size()) return id;
  Entry entry{};
  Entry* found = nullptr;
  std::vector<char> buf(16384);
  int rc = lookup(text.c_str(), &entry, buf.data(), buf.size(), &found);
  if (rc != 0 || !found) return fail(std::string("unknown ") + what + " '" + text + "'");
  if constexpr (std::is_same_v<Entry, passwd>)
    return found->pw_uid;
  else
    return found->gr_gid;
}

/// Sets the owner of the attached device. An unset user or group is left as it is:
/// the kernel has no way to take an owner away again (-1 is EINVAL).
Expected<void> set_owner(int fd, const TunOptions& opts) {
  if (opts.user) {
    auto uid = resolve_id<passwd>(*opts.user, "user", getpwnam_r);
    if (!uid) return std::unexpected(uid.error());
    if (ioctl(fd, TUNSETOWNER, static_cast<unsigned long>(*uid)) != 0) return fail("TUNSETOWNER: " + errno_text(errno));
  }
  if (opts.group) {
    auto gid = resolve_id<group>(*opts.group, "group", getgrnam_r);
    if (!gid) return std::unexpected(gid.error());
    if (ioctl(fd, TUNSETGROUP, static_cast<unsigned long>(*gid)) != 0) return fail("TUNSETGROUP: " + errno_text(errno));
  }
  return {};
}

short tun_flags(const Interface& iface, const TunOptions& opts) {
  return static_cast<short>((iface.kind == LinkKind::tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                            (opts.multi_queue ? IFF_MULTI_QUEUE : 0));
}

/// A /dev/net/tun fd attached to device `iface` (TUNSETIFF makes it, or attaches
/// to an existing one: then the flags must be the ones it was made with).
Expected<UniqueFd> attach_tun(const Interface& iface, const TunOptions& opts) {
  UniqueFd fd(::open(k_tun_device, O_RDWR | O_CLOEXEC));
  if (!fd) return fail(std::string(k_tun_device) + ": " + errno_text(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = tun_flags(iface, opts);
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0) return fail("TUNSETIFF: " + errno_text(errno));
  return fd;
}

} // namespace

Expected<void> create_persistent_tun(const Interface& iface) {
  TunOptions opts = iface.tun.value_or(TunOptions{});
  auto fd = attach_tun(iface, opts);
  if (!fd) return std::unexpected(fd.error());
  if (auto owned = set_owner(fd->get(), opts); !owned) return owned;
  if (ioctl(fd->get(), TUNSETPERSIST, 1UL) != 0) return fail("TUNSETPERSIST: " + errno_text(errno));
  return {};
}

Expected<void> set_tun_owner(const Interface& iface) {
  TunOptions opts = iface.tun.value_or(TunOptions{});
  auto fd = attach_tun(iface, opts);
  if (!fd) return std::unexpected(fd.error());
  return set_owner(fd->get(), opts);
}

Expected<void> check_tun_owner(const TunOptions& opts) {
  if (opts.user)
    if (auto id = resolve_id<passwd>(*opts.user, "user", getpwnam_r); !id) return std::unexpected(id.error());
  if (opts.group)
    if (auto id = resolve_id<group>(*opts.group, "group", getgrnam_r); !id) return std::unexpected(id.error());
  return {};
}

std::string user_name(uint32_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &entry, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->pw_name;
}

std::string group_name(uint32_t gid) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrgid_r(gid, &entry, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->gr_name;
}

bool tun_available() {
  UniqueFd fd(::open(k_tun_device, O_RDWR | O_CLOEXEC));
  if (!fd) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "netlabprobe", IFNAMSIZ - 1);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  // Not persistent: the device disappears with the descriptor.
  return ioctl(fd.get(), TUNSETIFF, &ifr) == 0;
}

} // namespace netlab
