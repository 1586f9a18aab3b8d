#pragma once
// Sysctls under /proc/sys. /proc/sys/net follows the network namespace of the
// thread that opens the file, so callers run these on a thread inside the namespace.
#include <netlab/util/error.hpp>

#include <optional>
#include <string>

namespace netlab {

/// /proc/sys path of a dotted ("net.ipv4.ip_forward") or slashed key; nullopt if the key is unsafe.
std::optional<std::string> sysctl_path(const std::string& key);

/// Current value without the trailing newline; nullopt if the key does not exist.
Expected<std::optional<std::string>> read_sysctl(const std::string& key);

/// Writes `value`; errors carry the errno text.
Expected<void> write_sysctl(const std::string& key, const std::string& value);

} // namespace netlab
