#pragma once
// Pictures of a topology: the drawing tutorials make by hand (namespaces as
// boxes, interfaces inside, veth pairs as lines between them), as text that
// Mermaid or Graphviz turns into an image. Pure functions: no I/O.
#include <netlab/topology/model.hpp>

#include <string>

namespace netlab {

/// A Mermaid flowchart: one subgraph per node, a box per interface, bridges as hexagons.
std::string render_mermaid(const Topology& topo);

/// A Graphviz DOT graph: one cluster per node, a box per interface, bridges as hexagons.
std::string render_dot(const Topology& topo);

} // namespace netlab
