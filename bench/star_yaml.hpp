#pragma once
// The star-N topology the benchmark writes, shared with the unit test that checks
// bench/star-1000.yaml (the compact form) expands to the same file.
#include <string>

namespace netlab::bench {

/// Namespace i of star-N: n<i>.
inline std::string ns_name(int i) {
  return "n" + std::to_string(i);
}

/// 10.0.0.1 is the bridge; namespace i gets the (i+2)-th address of 10.0.0.0/16.
inline std::string ns_addr(int i) {
  return "10.0." + std::to_string((i + 2) / 256) + "." + std::to_string((i + 2) % 256);
}

/// star-N as netlab YAML: host bridge br0 with ports v<i>, namespaces n<i> with eth0, an address and a default route.
inline std::string star_yaml(int n, bool ipv6) {
  std::string y =
      "name: star-" + std::to_string(n) + "\nversion: 1\nnodes:\n  host:\n    kind: host\n    interfaces:\n";
  y += "      br0: {kind: bridge, addresses: [10.0.0.1/16]}\n";
  for (int i = 0; i < n; ++i)
    y += "      v" + std::to_string(i) + ": {master: br0}\n";
  for (int i = 0; i < n; ++i) {
    y += "  " + ns_name(i) + ":\n" + (ipv6 ? "    ipv6: true\n" : "") + "    interfaces:\n      eth0: {addresses: [" +
         ns_addr(i) + "/16]}\n";
    y += "    routes: [default via 10.0.0.1]\n";
  }
  y += "links:\n";
  for (int i = 0; i < n; ++i)
    y += "  - [" + ns_name(i) + ":eth0, host:v" + std::to_string(i) + "]\n";
  return y;
}

} // namespace netlab::bench
