// Stub until the NAT module lands.
#include <netlab/kernel/nft.hpp>

namespace netlab {

std::string nat_table_name(std::string_view lab) { return "netlab-" + std::string(lab); }
Expected<std::optional<std::string>> nft_read_table(const std::string&) { return std::optional<std::string>{}; }
std::string nat_canonical(const std::string&, const std::vector<NatRule>&) { return {}; }
Expected<void> nft_replace_table(const std::string&, const std::vector<NatRule>&) { return fail("NAT not built yet"); }
Expected<void> nft_restore_table(const std::string&, const std::optional<std::string>&) { return {}; }

} // namespace netlab
