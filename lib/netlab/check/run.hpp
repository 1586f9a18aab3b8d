#pragma once
// Running a topology's `checks:` against the live kernel, and judging each one
// against its `expect`.
#include <netlab/check/probe.hpp>
#include <netlab/topology/model.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace netlab {

/// One check, the probe it ran and the verdict.
struct CheckResult {
  Check check;
  ProbeResult probe;
  bool passed = false;    ///< probe outcome matched `expect`; never true when the probe could not run
  std::string message;    ///< "" for an expected success, else why ("connection refused (expected pass)")
  double elapsed_s = 0.0; ///< wall time of the check, listener included
  std::string why;        ///< a failed check: what on its path differs from the file ("ns2/vethD is down"), or ""

  /// "ns1 ping 192.168.10.3" / "ns1 tcp [fd00::2]:80": names the check in every output.
  std::string label() const;
};

/// Pass/fail counts over a run.
struct CheckSummary {
  std::size_t passed = 0;
  std::size_t failed = 0;
  /// "N passed, M failed"
  std::string str() const;
};

/// The "ADDR:PORT" form of a tcp target (IPv6 in brackets).
std::string endpoint_text(const IpAddr& addr, uint16_t port);

/// Applies `expect` to a probe result: fills passed and message.
CheckResult judge(const Check& check, ProbeResult probe);

/// Runs one check from its `from` node (namespace via ns_ref_for), starting a
/// listener on the `listen` node for the duration of a tcp check.
CheckResult run_check(const Topology& topo, const Check& check);

/// Runs every check of the topology in file order.
std::vector<CheckResult> run_checks(const Topology& topo);

/// Runs `checks` (an exercise's) against the nodes of `topo`, in order.
std::vector<CheckResult> run_checks_of(const Topology& topo, const std::vector<Check>& checks);

/// Counts passed and failed results.
CheckSummary summarize(const std::vector<CheckResult>& results);

} // namespace netlab
