#pragma once
// Whether this process may change network namespaces: checked before a verb
// that needs it starts, so a user without privileges gets one clear message.
#include <cstdint>
#include <optional>
#include <string_view>

namespace netlab {

/// Capability numbers (linux/capability.h) netlab needs.
inline constexpr int k_cap_net_admin = 12;
inline constexpr int k_cap_sys_admin = 21;

/// The effective capability mask from the text of /proc/<pid>/status ("CapEff:\t...").
std::optional<std::uint64_t> parse_cap_eff(std::string_view status);

/// Whether this process has CAP_NET_ADMIN and CAP_SYS_ADMIN in effect.
bool has_admin_capabilities();

} // namespace netlab
