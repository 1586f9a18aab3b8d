#include <netlab/check/listener.hpp>
#include <netlab/check/peer.hpp>
#include <netlab/check/run.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

namespace netlab {

namespace {

using Clock = std::chrono::steady_clock;

ProbeResult probe_error(std::string message) { return {ProbeOutcome::error, std::nullopt, std::move(message)}; }

std::chrono::milliseconds timeout_of(const Check& check) {
  return std::chrono::milliseconds(static_cast<long>(check.timeout_s * 1000.0 + 0.5));
}

/// "reply in 0.2 ms" / "connected in 0.3 ms": a success described for a check that wanted failure.
std::string success_text(const Check& check, const ProbeResult& probe) {
  std::string rtt = probe.rtt_ms ? " in " + format_rtt(*probe.rtt_ms) : "";
  if (check.type == Check::Type::peer) return "it is";
  return (check.type == Check::Type::ping ? "reply" : "connected") + rtt;
}

/// The port a listener on `server` must bind for `check`: where a DNAT rule of
/// the lab delivers the connection when one translates the check's port to an
/// address of that node (with the range offset kept), else the check's port.
uint16_t listen_port(const Topology& topo, const Check& check, const Node& server) {
  auto owns = [&](const IpAddr& a) {
    return std::ranges::any_of(server.interfaces, [&](const Interface& i) {
      return std::ranges::any_of(i.addresses, [&](const Cidr& c) { return c.addr == a; });
    });
  };
  for (const auto& node : topo.nodes)
    for (const auto& r : node.nat)
      if (r.type == NatRule::Type::dnat && r.to_addr && r.to_port && owns(*r.to_addr) &&
          check.port >= r.port_first && check.port <= r.port_last)
        return static_cast<uint16_t>(*r.to_port + (check.port - r.port_first));
  return check.port;
}

/// seen_from: the listener must have accepted the connection from that
/// address; one from another address (no NAT on the way, or NAT to another
/// address) is a mismatch that names what arrived.
ProbeResult judge_source(const Check& check, const TcpListener& listener, ProbeResult probe) {
  // The connect returns at the handshake; the listener's accept may come a moment later.
  if (!probe.ok() || !check.seen_from) return probe;
  if (!listener.wait_for_peers(1, timeout_of(check)))
    return {ProbeOutcome::mismatch, probe.rtt_ms, "the listener saw no connection"};
  IpAddr seen = listener.peers().front().addr;
  if (seen == *check.seen_from) return probe;
  return {ProbeOutcome::mismatch, probe.rtt_ms,
          "the listener saw the connection from " + seen.str() + ", not " + check.seen_from->str()};
}

ProbeResult probe_tcp(const Topology& topo, const Check& check, const NsRef& from) {
  std::unique_ptr<TcpListener> listener; // lives exactly as long as the connect
  if (check.listen) {
    const Node* server = topo.find_node(*check.listen);
    if (!server) return probe_error("listen: no node '" + *check.listen + "'");
    auto started = TcpListener::start(ns_ref_for(*server), std::nullopt, listen_port(topo, check, *server));
    if (!started) return probe_error(started.error().message);
    listener = std::move(*started);
  }
  ProbeResult probe = tcp_connect_from(from, check.target, check.port, timeout_of(check));
  return listener ? judge_source(check, *listener, std::move(probe)) : probe;
}

ProbeResult probe_for(const Topology& topo, const Check& check) {
  const Node* from = topo.find_node(check.from);
  if (!from) return probe_error("no node '" + check.from + "'");
  switch (check.type) {
  case Check::Type::ping: return ping_from(ns_ref_for(*from), check.target, {timeout_of(check), 3});
  case Check::Type::tcp: return probe_tcp(topo, check, ns_ref_for(*from));
  case Check::Type::peer: return probe_peer(topo, check);
  }
  return probe_error("unknown check type");
}

} // namespace

std::string endpoint_text(const IpAddr& addr, uint16_t port) {
  std::string host = addr.str();
  if (addr.family == Family::v6) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

std::string CheckResult::label() const {
  if (check.type == Check::Type::ping) return check.from + " ping " + check.target.str();
  if (check.type == Check::Type::peer) return check.from + " peer " + check.iface + " is " + check.peer_is.str();
  std::string seen = check.seen_from ? " seen from " + check.seen_from->str() : "";
  return check.from + " tcp " + endpoint_text(check.target, check.port) + seen;
}

std::string CheckSummary::str() const {
  return std::to_string(passed) + " passed, " + std::to_string(failed) + " failed";
}

CheckResult judge(const Check& check, ProbeResult probe) {
  CheckResult r{check, std::move(probe), false, {}, 0.0, {}};
  // A probe that could not run says nothing about reachability, whatever was expected.
  if (r.probe.outcome == ProbeOutcome::error) {
    r.message = r.probe.message;
    return r;
  }
  r.passed = r.probe.ok() == check.expect_pass;
  if (check.expect_pass) {
    if (!r.passed) r.message = r.probe.message + " (expected pass)";
    if (r.passed && check.type == Check::Type::peer) r.message = r.probe.message; // how the peer was found
  } else {
    r.message = r.passed ? r.probe.message + ", as expected" : success_text(check, r.probe) + " (expected fail)";
  }
  return r;
}

CheckResult run_check(const Topology& topo, const Check& check) {
  auto start = Clock::now();
  CheckResult r = judge(check, probe_for(topo, check));
  r.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::vector<CheckResult> run_checks(const Topology& topo) { return run_checks_of(topo, topo.checks); }

std::vector<CheckResult> run_checks_of(const Topology& topo, const std::vector<Check>& checks) {
  std::vector<CheckResult> results;
  results.reserve(checks.size());
  for (const Check& check : checks) results.push_back(run_check(topo, check));
  return results;
}

CheckSummary summarize(const std::vector<CheckResult>& results) {
  CheckSummary s;
  for (const auto& r : results) ++(r.passed ? s.passed : s.failed);
  return s;
}

} // namespace netlab
