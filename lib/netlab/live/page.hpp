#pragma once
// The one page `graph --serve` serves: lib/netlab/live/page.html (compiled in)
// around the lab's Graphviz SVG. Pure apart from Graphviz.
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <string>

namespace netlab {

/// The live page of `topo`: self-contained HTML (no fetch but its own /state and /events).
Expected<std::string> live_page(const Topology& topo);

} // namespace netlab
