#include <netlab/util/caps.hpp>

#include <charconv>
#include <fstream>
#include <sstream>

namespace netlab {

std::optional<std::uint64_t> parse_cap_eff(std::string_view status) {
  constexpr std::string_view key = "CapEff:";
  for (size_t pos = 0; pos < status.size();) {
    size_t end = status.find('\n', pos);
    std::string_view line = status.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? status.size() : end + 1;
    if (!line.starts_with(key)) continue;
    line.remove_prefix(key.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    std::uint64_t mask = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), mask, 16);
    if (ec != std::errc() || ptr == line.data()) return std::nullopt;
    return mask;
  }
  return std::nullopt;
}

bool has_admin_capabilities() {
  std::ifstream in("/proc/self/status");
  std::stringstream text;
  text << in.rdbuf();
  auto mask = parse_cap_eff(text.str());
  if (!mask) return true; // cannot tell: let the kernel say no
  const std::uint64_t need = (std::uint64_t{1} << k_cap_net_admin) | (std::uint64_t{1} << k_cap_sys_admin);
  return (*mask & need) == need;
}

} // namespace netlab
