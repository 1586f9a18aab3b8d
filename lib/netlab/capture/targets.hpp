#pragma once
// Which interfaces `netlab capture` listens on: "NODE:IF" words resolved
// against the lab's file. Pure: no kernel, no I/O.
#include <netlab/kernel/state.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <string>
#include <vector>

namespace netlab {

/// One interface to capture on, named as the file names it.
struct CaptureTarget {
  std::string node;
  std::string iface;
  NsRef ns;                     ///< the node's namespace
  std::optional<Endpoint> peer; ///< veth: the other end, as the file says
  std::string where() const { return node + ":" + iface; }
};

/// Whether each named veth end brings its peer along (--both-ends).
enum class BothEnds { no, yes };

/// Resolves "NODE:IF" (IF may be "lo") and "NODE:*" (every interface the node
/// declares) in order, dropping repeats; with BothEnds::yes each veth end's peer
/// follows it. A word naming no node or interface fails with ExitCode::usage and
/// a did-you-mean.
Expected<std::vector<CaptureTarget>> resolve_capture_targets(const Topology& topo,
                                                             const std::vector<std::string>& words, BothEnds both);

/// "ns1:veth1 (lab veth-pair, veth to ns2:veth2)": the pcapng if_description.
std::string capture_description(const std::string& lab, const CaptureTarget& t);

} // namespace netlab
