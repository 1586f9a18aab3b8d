#include <netlab/kernel/netns_tun.hpp>

#include <netlab/util/fd.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_tun.h>
#include <net/if.h>
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

} // namespace

Expected<void> create_persistent_tun(const Interface& iface) {
  TunOptions opts = iface.tun.value_or(TunOptions{});
  UniqueFd fd(::open(k_tun_device, O_RDWR | O_CLOEXEC));
  if (!fd) return fail(std::string(k_tun_device) + ": " + errno_text(errno));
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_flags = static_cast<short>((iface.kind == LinkKind::tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                     (opts.multi_queue ? IFF_MULTI_QUEUE : 0));
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0) return fail("TUNSETIFF: " + errno_text(errno));
  if (auto owned = set_owner(fd.get(), opts); !owned) return owned;
  if (ioctl(fd.get(), TUNSETPERSIST, 1UL) != 0) return fail("TUNSETPERSIST: " + errno_text(errno));
  return {};
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
