// libFuzzer entry point: arbitrary bytes through load_string() and validate().
// Rejecting the input is the normal outcome; a crash, a sanitizer report, a
// timeout or a broken invariant below is a bug.
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>

namespace {

void require(bool ok) {
  if (!ok) std::abort(); // libFuzzer saves the input that broke the invariant
}

// Diagnostics: one printable line each, sorted by position.
void check_diagnostics(const std::vector<netlab::Diagnostic>& diags) {
  require(!diags.empty());
  for (std::size_t i = 0; i < diags.size(); ++i) {
    require(diags[i].str().find('\n') == std::string::npos);
    require(!diags[i].message.empty());
    if (i > 0)
      require(std::tie(diags[i - 1].mark.line, diags[i - 1].mark.col) <= std::tie(diags[i].mark.line, diags[i].mark.col));
  }
}

// A valid topology is resolved: links name real interfaces whose peers point back.
void check_topology(const netlab::Topology& t) {
  require(!t.name.empty() && t.name.size() <= 32);
  for (const auto& link : t.links) {
    const netlab::Node* a = t.find_node(link.a.node);
    const netlab::Node* b = t.find_node(link.b.node);
    require(a && b);
    const netlab::Interface* ia = a->find_interface(link.a.iface);
    const netlab::Interface* ib = b->find_interface(link.b.iface);
    require(ia && ib && ia->peer == link.b && ib->peer == link.a);
  }
  for (const auto& node : t.nodes) {
    for (const auto& i : node.interfaces) require(!i.name.empty() && i.name.size() <= 15);
    for (const auto& r : node.routes) require(r.to.network() == r.to);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto raw = netlab::load_string(text, "fuzz.yaml");
  if (!raw) return 0;
  auto topo = netlab::validate(*raw);
  if (topo)
    check_topology(*topo);
  else
    check_diagnostics(topo.error());
  return 0;
}
