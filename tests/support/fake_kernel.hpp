#pragma once
// An in-memory Kernel for unit tests of pure logic: applies actions to an
// Observed the way the real kernel would, counts writes, and can be told to
// fail the Nth write.
#include <netlab/kernel/kernel.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace netlab::test {

class FakeKernel : public Kernel {
public:
  FakeKernel();

  Expected<std::vector<std::string>> list_netns() override;
  Expected<ObservedNs> observe(const NsRef& ns, const ObserveRequest& what) override;
  Expected<void> apply(const Action& action) override;
  std::vector<std::pair<LinkKind, std::string>> unsupported(const std::vector<LinkKind>& kinds) override;
  std::vector<std::pair<KernelFeature, std::string>> missing_features(const std::vector<KernelFeature>& wanted) override;
  std::vector<std::pair<std::string, std::string>> unsupported_qdiscs(const std::vector<std::string>& kinds) override;

  /// The namespace state keyed by node name ("host" always exists).
  std::map<std::string, ObservedNs> nodes;
  /// Sysctl keys that exist in every namespace (others fail with ENOENT).
  std::set<std::string> known_sysctls{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding",
                                      "net.ipv4.conf.all.rp_filter"};
  size_t writes = 0;                 ///< successful apply() calls
  std::optional<size_t> fail_write;  ///< make the write with this 0-based number fail
  std::set<LinkKind> missing_drivers{LinkKind::dummy, LinkKind::vlan};
  std::set<KernelFeature> missing{};  ///< features to report as missing
  /// Names the fake reports for tun/tap owners (uid/gid -> name; Debian's, as plan_lab looks names up); others read back as numbers.
  std::map<uint32_t, std::string> users{{1, "daemon"}, {65534, "nobody"}}, groups{{100, "users"}, {65534, "nogroup"}};
  std::set<std::string> missing_qdiscs{"netem"}; ///< like the machines netlab is developed on
  size_t observed_qdiscs = 0;                    ///< observe() calls that read qdiscs
  /// (node, link) made with IPv6 address generation off (CreateLink's addrgen_none): what
  /// `net.ipv6.conf.<link>.addr_gen_mode` reads as ("1"; "0" for other links) until written.
  std::set<std::pair<std::string, std::string>> addrgen_none;

  ObservedLink* link(const std::string& node, const std::string& name);

private:
  int m_next_ifindex = 100;
  size_t m_attempts = 0;
  Expected<void> do_apply(const Action& action);
  ObservedNs* ns(const NsRef& ref);
  void drop_link(ObservedNs& ns, const std::string& name);
  void set_options(ObservedLink& l, const Interface& i);
};

} // namespace netlab::test
