#include <netlab/kernel/netns_named.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <thread>
#include <unistd.h>

namespace netlab {

Expected<void> prepare_netns_dir() {
  if (mkdir(k_netns_dir, S_IRWXU | S_IRGRP | S_IXGRP | S_IROTH | S_IXOTH) != 0 && errno != EEXIST)
    return fail(std::string("create ") + k_netns_dir + ": " + errno_text(errno));
  // Shared propagation lets an unmount in one mount namespace reach the others,
  // so a deleted namespace is really freed (what iproute2 does).
  bool bound = false;
  while (mount("", k_netns_dir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL || bound) return fail(std::string("make ") + k_netns_dir + " shared: " + errno_text(errno));
    if (mount(k_netns_dir, k_netns_dir, "none", MS_BIND | MS_REC, nullptr) != 0)
      return fail(std::string("bind-mount ") + k_netns_dir + ": " + errno_text(errno));
    bound = true;
  }
  return {};
}

Expected<void> create_named_netns(const std::string& path, const std::function<Expected<void>()>& inside,
                                  const NewNetnsRunner& run) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0 && errno == EEXIST) return fail(path + " already exists");
  if (fd < 0) return fail(path + ": " + errno_text(errno));
  ::close(fd);
  bool mounted = false;
  auto made = run([&]() -> Expected<void> {
    std::string self = "/proc/self/task/" + std::to_string(gettid()) + "/ns/net";
    if (mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0)
      return fail("bind-mount " + self + " onto " + path + ": " + errno_text(errno));
    mounted = true;
    return inside();
  });
  if (!made) {
    if (mounted) umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
  }
  return made;
}

Expected<void> delete_named_netns(const std::string& path) {
  // Like iproute2: the unmount may fail (not a mount point); the unlink decides.
  umount2(path.c_str(), MNT_DETACH);
  if (unlink(path.c_str()) != 0) return fail(path + ": " + errno_text(errno));
  return {};
}

bool stale_netns_file(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) != 0 || fs.f_type == NSFS_MAGIC) return false;
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

Expected<std::vector<std::string>> list_named_netns() {
  std::vector<std::string> names;
  DIR* dir = opendir(k_netns_dir);
  if (!dir) {
    if (errno == ENOENT) return names;
    return fail(std::string(k_netns_dir) + ": " + errno_text(errno));
  }
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Expected<void> run_in_new_netns(const std::function<Expected<void>()>& fn) {
  Expected<void> result;
  std::thread worker([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      result = fail("unshare(CLONE_NEWNET): " + errno_text(errno));
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

} // namespace netlab
