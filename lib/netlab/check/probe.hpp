#pragma once
// Connectivity probes: one ICMP echo exchange or one TCP connect, sent from the
// namespace the caller is in (or, with the *_from forms, from a node's namespace).
// Probes never print; a failed probe is a value, not an error.
#include <netlab/kernel/state.hpp>
#include <netlab/util/ip.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace netlab {

/// How a probe ended. `error` means it could not be run at all (no namespace, no socket);
/// `mismatch` that it ran and found other than the check names (a connection from
/// another source than `seen_from`, a veth whose peer is not `is`).
enum class ProbeOutcome { ok, timeout, refused, unreachable, error, mismatch };

std::string_view to_string(ProbeOutcome o);

/// The result of one probe.
struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::error;
  std::optional<double> rtt_ms; ///< set when ok: echo round trip or TCP handshake time
  std::string message;          ///< why it did not succeed ("connection refused"); "" when ok

  bool ok() const { return outcome == ProbeOutcome::ok; }
};

/// Options of an ICMP echo probe.
struct PingOptions {
  std::chrono::milliseconds timeout{2000}; ///< total time allowed for all tries
  int tries = 3; ///< echoes spread over the timeout; the first packet may wait for ARP/ND
};

/// Sends ICMP (v4) or ICMPv6 echo requests over a raw socket in the calling
/// thread's namespace; passes on the first matching reply (id, seq, source).
ProbeResult ping(const IpAddr& target, const PingOptions& options = {});

/// Connects over TCP (non-blocking connect + poll), telling refused, unreachable
/// and timeout apart; the connection is closed at once.
ProbeResult tcp_connect(const IpAddr& target, uint16_t port, std::chrono::milliseconds timeout);

/// ping() run from inside the namespace `from`.
ProbeResult ping_from(const NsRef& from, const IpAddr& target, const PingOptions& options = {});

/// tcp_connect() run from inside the namespace `from`.
ProbeResult tcp_connect_from(const NsRef& from, const IpAddr& target, uint16_t port,
                             std::chrono::milliseconds timeout);

/// "2 s", "500 ms", "1.5 s": a duration as probe messages show it.
std::string format_timeout(std::chrono::milliseconds d);

/// "0.2 ms", "0.05 ms", "12.3 ms": a round-trip time as check output shows it.
std::string format_rtt(double ms);

} // namespace netlab
