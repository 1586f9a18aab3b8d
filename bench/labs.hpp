#pragma once
// The labs the benchmark times (star-N, tree-N), shared by netlab_bench (which
// writes them as netlab YAML), netlab_floor (which builds them with bare netlink
// requests) and the unit tests that check bench/star-1000.yaml and bench/tree.yaml
// (the compact forms) expand to the same files.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::bench {

/// Namespace i: n<i>.
inline std::string ns_name(int i) {
  return "n" + std::to_string(i);
}

/// 10.0.0.1 is the root bridge; namespace i gets the (i+2)-th address of 10.0.0.0/16.
inline std::string ns_addr(int i) {
  return "10.0." + std::to_string((i + 2) / 256) + "." + std::to_string((i + 2) % 256);
}

/// A lab's shape. star-N: N namespaces, each with a veth (eth0 inside, v<i> in the
/// host namespace) to one bridge br0 (10.0.0.1/16, the namespaces' default
/// gateway). tree-N: a core bridge `core` and `leaves` leaf bridges leaf<l>, each
/// joined to the core by a veth pair (up<l> in the leaf, dn<l> in the core),
/// `per_leaf` namespaces on each leaf (v<i> in leaf<i / per_leaf>): one broadcast
/// domain past one bridge's 1023 ports. A tree has no address in the host
/// namespace, and so no gateway: with one, every leaf bridge (a link of the same
/// host namespace) would answer ARP for it too, and the host would drop the
/// pings that reached it through a leaf instead of the core (reverse path filter).
struct Shape {
  int leaves = 0;    ///< 0: a star
  int per_leaf = 0;  ///< star: all N
  static constexpr int k_max_per_leaf = 1000;

  /// star N, or tree N (ceil(N/1000) leaves sharing N evenly; N must divide evenly).
  static std::optional<Shape> parse(std::string_view kind, int n) {
    if (n < 1) return std::nullopt;
    if (kind == "star") return Shape{0, n};
    if (kind != "tree") return std::nullopt;
    int leaves = (n + k_max_per_leaf - 1) / k_max_per_leaf;
    if (n % leaves != 0) return std::nullopt;
    return Shape{leaves, n / leaves};
  }
  bool tree() const { return leaves > 0; }
  int namespaces() const { return tree() ? leaves * per_leaf : per_leaf; }
  std::string name() const { return (tree() ? "tree-" : "star-") + std::to_string(namespaces()); }
  /// The bridge at the top: br0 (it holds 10.0.0.1) or core.
  std::string root() const { return tree() ? "core" : "br0"; }
  std::string leaf(int l) const { return "leaf" + std::to_string(l); }
  /// The bridge namespace i's host end v<i> is a port of.
  std::string port_bridge(int i) const { return tree() ? leaf(std::min(i / per_leaf, leaves - 1)) : root(); }
  std::vector<std::string> bridges() const {
    std::vector<std::string> out{root()};
    for (int l = 0; l < leaves; ++l) out.push_back(leaf(l));
    return out;
  }

  /// The lab as netlab YAML, in the order bench/star-1000.yaml and bench/tree.yaml
  /// expand to; `extra` more namespaces (in the last bridge) make the benchmark's edit.
  std::string yaml(bool ipv6, int extra = 0) const {
    const int n = namespaces() + extra;
    // bench/tree.yaml's lab is `tree` whatever its size (LEAVES and PER_LEAF are variables).
    std::string y = "name: " + (tree() ? std::string("tree") : name()) + "\nversion: 1\nnodes:\n  host:\n    kind: host\n    interfaces:\n";
    y += "      " + root() + (tree() ? ": {kind: bridge}\n" : ": {kind: bridge, addresses: [10.0.0.1/16]}\n");
    for (int l = 0; l < leaves; ++l) y += "      " + leaf(l) + ": {kind: bridge}\n";
    for (int l = 0; l < leaves; ++l) y += "      up" + std::to_string(l) + ": {master: " + leaf(l) + "}\n";
    for (int l = 0; l < leaves; ++l) y += "      dn" + std::to_string(l) + ": {master: core}\n";
    for (int i = 0; i < n; ++i) y += "      v" + std::to_string(i) + ": {master: " + port_bridge(i) + "}\n";
    for (int i = 0; i < n; ++i) {
      y += "  " + ns_name(i) + ":\n" + (ipv6 ? "    ipv6: true\n" : "") + "    interfaces:\n      eth0: {addresses: [" +
           ns_addr(i) + "/16]}\n";
      if (!tree()) y += "    routes: [default via 10.0.0.1]\n";
    }
    y += "links:\n";
    for (int l = 0; l < leaves; ++l) y += "  - [host:up" + std::to_string(l) + ", host:dn" + std::to_string(l) + "]\n";
    for (int i = 0; i < n; ++i) y += "  - [" + ns_name(i) + ":eth0, host:v" + std::to_string(i) + "]\n";
    return y;
  }
};

/// star-N as netlab YAML.
inline std::string star_yaml(int n, bool ipv6) {
  return Shape{0, n}.yaml(ipv6);
}

} // namespace netlab::bench
