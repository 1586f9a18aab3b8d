#include <netlab/kernel/netns_sysctl.hpp>

#include <netlab/util/fd.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace netlab {

std::optional<std::string> sysctl_path(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.front() == '/' || key.find("..") != std::string::npos)
    return std::nullopt;
  std::string rel = key;
  // sysctl(8): a key that already uses '/' keeps its dots (interface names like eth0.5).
  if (key.find('/') == std::string::npos) std::replace(rel.begin(), rel.end(), '.', '/');
  return "/proc/sys/" + rel;
}

Expected<std::optional<std::string>> read_sysctl(const std::string& key) {
  auto path = sysctl_path(key);
  if (!path) return fail("sysctl '" + key + "': not a valid key");
  UniqueFd fd(::open(path->c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail("read sysctl " + key + ": " + errno_text(errno));
  }
  std::string value;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return fail("read sysctl " + key + ": " + errno_text(errno));
    if (n == 0) break;
    value.append(buf, static_cast<size_t>(n));
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
    value.pop_back();
  return std::optional<std::string>(std::move(value));
}

Expected<void> write_sysctl(const std::string& key, const std::string& value) {
  auto path = sysctl_path(key);
  if (!path) return fail("sysctl '" + key + "': not a valid key");
  UniqueFd fd(::open(path->c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail("set sysctl " + key + " = " + value + ": " + errno_text(errno));
  std::string line = value + "\n";
  ssize_t n = ::write(fd.get(), line.data(), line.size());
  if (n < 0) return fail("set sysctl " + key + " = " + value + ": " + errno_text(errno));
  return {};
}

} // namespace netlab
