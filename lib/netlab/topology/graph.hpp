#pragma once
// Pictures of a topology: the drawing tutorials make by hand (namespaces as
// boxes, interfaces inside, veth pairs as lines between them), as text that
// Mermaid or Graphviz turns into an image. Pure functions: no I/O.
#include <netlab/topology/model.hpp>

#include <map>
#include <string>
#include <vector>

namespace netlab {

/// A Mermaid flowchart: one subgraph per node, a box per interface, bridges as hexagons.
std::string render_mermaid(const Topology& topo);

/// A Graphviz DOT graph: one cluster per node, a box per interface, bridges as hexagons.
std::string render_dot(const Topology& topo);

} // namespace netlab

namespace netlab {

/// The names render_dot() gives what it draws, which Graphviz's SVG keeps as each
/// element's <title>: the live graph finds the elements to colour by them.
struct PictureIds {
  std::map<std::string, std::string> nodes;      ///< node name -> "cluster_n0"
  std::map<std::string, std::string> interfaces; ///< "node/iface" -> "n0_i1" (and "node/lo" when lo is drawn)
  std::vector<std::string> links;                ///< topo.links[i] -> "n0_i0--n1_i0" ("" if unresolved)
};

/// The ids of render_dot(topo)'s clusters, boxes and veth edges.
PictureIds picture_ids(const Topology& topo);

} // namespace netlab
