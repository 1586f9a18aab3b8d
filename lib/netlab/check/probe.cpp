#include <netlab/check/probe.hpp>
#include <netlab/check/sockaddr.hpp>
#include <netlab/util/fd.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <span>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace netlab {

namespace {

using Clock = std::chrono::steady_clock;

// ICMP_FILTER from <linux/icmp.h>, which clashes with the libc network headers.
constexpr int k_icmp_filter = 1;
constexpr uint8_t k_v4_echo_reply = 0, k_v4_unreachable = 3, k_v4_echo_request = 8, k_v4_time_exceeded = 11;
constexpr uint8_t k_v6_unreachable = 1, k_v6_time_exceeded = 3, k_v6_echo_request = 128, k_v6_echo_reply = 129;
constexpr std::size_t k_echo_header = 8;
constexpr std::size_t k_echo_payload = 56;

ProbeResult failed(ProbeOutcome outcome, std::string message) { return {outcome, std::nullopt, std::move(message)}; }

double elapsed_ms(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// Maps the errno of connect()/sendto() to what a student would want to read.
ProbeResult from_errno(int err) {
  switch (err) {
  case ECONNREFUSED: return failed(ProbeOutcome::refused, "connection refused");
  case ENETUNREACH: return failed(ProbeOutcome::unreachable, "network unreachable");
  case EHOSTUNREACH: return failed(ProbeOutcome::unreachable, "host unreachable");
  case ETIMEDOUT: return failed(ProbeOutcome::timeout, "timed out");
  // A local firewall (nft reject/drop in output) surfaces as EPERM/EACCES.
  case EPERM:
  case EACCES: return failed(ProbeOutcome::unreachable, "blocked: " + errno_text(err));
  default: return failed(ProbeOutcome::error, errno_text(err));
  }
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

uint16_t inet_checksum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += be16(&data[i]);
  if (data.size() % 2 != 0) sum += static_cast<uint32_t>(data.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

/// Distinct per process and per probe, so concurrent pings never take each other's replies.
uint16_t next_echo_id() {
  static std::atomic<uint16_t> counter{0};
  return static_cast<uint16_t>(::getpid() * 2654435761u) ^ counter.fetch_add(0x9e37);
}

std::vector<uint8_t> echo_request(Family family, uint16_t id, uint16_t seq) {
  std::vector<uint8_t> pkt(k_echo_header + k_echo_payload);
  pkt[0] = family == Family::v4 ? k_v4_echo_request : k_v6_echo_request;
  pkt[4] = static_cast<uint8_t>(id >> 8), pkt[5] = static_cast<uint8_t>(id);
  pkt[6] = static_cast<uint8_t>(seq >> 8), pkt[7] = static_cast<uint8_t>(seq);
  for (std::size_t i = 0; i < k_echo_payload; ++i) pkt[k_echo_header + i] = static_cast<uint8_t>('a' + i % 26);
  if (family == Family::v4) { // the kernel fills the ICMPv6 checksum itself
    uint16_t sum = inet_checksum(pkt);
    pkt[2] = static_cast<uint8_t>(sum >> 8), pkt[3] = static_cast<uint8_t>(sum);
  }
  return pkt;
}

/// What one received datagram means for our exchange.
struct Received {
  enum class Kind { other, reply, error } kind = Kind::other;
  uint16_t seq = 0;
  std::string what; ///< error: "host unreachable (from 10.0.0.1)"
};

std::string v4_error_text(uint8_t type, uint8_t code) {
  if (type == k_v4_time_exceeded) return "time exceeded";
  switch (code) {
  case 0: return "network unreachable";
  case 1: return "host unreachable";
  case 2: return "protocol unreachable";
  case 3: return "port unreachable";
  case 9:
  case 10:
  case 13: return "administratively prohibited";
  default: return "destination unreachable (code " + std::to_string(code) + ")";
  }
}

std::string v6_error_text(uint8_t type, uint8_t code) {
  if (type == k_v6_time_exceeded) return "time exceeded";
  switch (code) {
  case 0: return "no route to host";
  case 1: return "administratively prohibited";
  case 3: return "address unreachable";
  case 4: return "port unreachable";
  default: return "destination unreachable (code " + std::to_string(code) + ")";
  }
}

/// The bytes of `pkt` after `offset`; empty when a bogus header length points past the end.
std::span<const uint8_t> after(std::span<const uint8_t> pkt, std::size_t offset) {
  return offset <= pkt.size() ? pkt.subspan(offset) : std::span<const uint8_t>{};
}

/// The payload of an IPv4 packet, skipping its header (IHL words).
std::span<const uint8_t> ip4_payload(std::span<const uint8_t> pkt) {
  return pkt.size() < 20 ? std::span<const uint8_t>{} : after(pkt, static_cast<std::size_t>(pkt[0] & 0x0f) * 4);
}

/// Matches an echo (request) header quoted inside an ICMP error against ours.
bool quotes_our_echo(std::span<const uint8_t> echo, uint8_t request_type, uint16_t id) {
  return echo.size() >= k_echo_header && echo[0] == request_type && be16(&echo[4]) == id;
}

/// IPv4 raw sockets deliver the IP header too; an error quotes our IP header and echo.
Received parse_v4(std::span<const uint8_t> pkt, const IpAddr& source, const IpAddr& target, uint16_t id) {
  auto icmp = ip4_payload(pkt);
  if (icmp.size() < k_echo_header) return {};
  if (icmp[0] == k_v4_echo_reply && source == target && be16(&icmp[4]) == id)
    return {Received::Kind::reply, be16(&icmp[6]), {}};
  if (icmp[0] != k_v4_unreachable && icmp[0] != k_v4_time_exceeded) return {};
  auto inner = icmp.subspan(k_echo_header);
  if (inner.size() < 20 || !std::equal(inner.begin() + 16, inner.begin() + 20, target.bytes.begin())) return {};
  if (!quotes_our_echo(ip4_payload(inner), k_v4_echo_request, id)) return {};
  return {Received::Kind::error, 0, v4_error_text(icmp[0], icmp[1]) + " (from " + source.str() + ")"};
}

/// IPv6 raw sockets deliver only the ICMPv6 message; an error quotes the IPv6 header and echo.
Received parse_v6(std::span<const uint8_t> icmp, const IpAddr& source, const IpAddr& target, uint16_t id) {
  if (icmp.size() < k_echo_header) return {};
  if (icmp[0] == k_v6_echo_reply && source == target && be16(&icmp[4]) == id)
    return {Received::Kind::reply, be16(&icmp[6]), {}};
  if (icmp[0] != k_v6_unreachable && icmp[0] != k_v6_time_exceeded) return {};
  auto inner = icmp.subspan(k_echo_header);
  constexpr std::size_t k_ip6_header = 40;
  if (inner.size() < k_ip6_header || !std::equal(inner.begin() + 24, inner.begin() + 40, target.bytes.begin())) return {};
  if (!quotes_our_echo(after(inner, k_ip6_header), k_v6_echo_request, id)) return {};
  return {Received::Kind::error, 0, v6_error_text(icmp[0], icmp[1]) + " (from " + source.str() + ")"};
}

/// A raw ICMP socket that only passes replies and errors, so our own requests
/// (looped back when pinging a local address) and unrelated traffic stay out.
UniqueFd open_icmp_socket(Family family) {
  int proto = family == Family::v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  UniqueFd fd(::socket(af_of(family), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto));
  if (!fd) return fd;
  if (family == Family::v4) {
    uint32_t blocked = ~((1u << k_v4_echo_reply) | (1u << k_v4_unreachable) | (1u << k_v4_time_exceeded));
    ::setsockopt(fd.get(), SOL_RAW, k_icmp_filter, &blocked, sizeof blocked);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(k_v6_echo_reply, &filter);
    ICMP6_FILTER_SETPASS(k_v6_unreachable, &filter);
    ICMP6_FILTER_SETPASS(k_v6_time_exceeded, &filter);
    ::setsockopt(fd.get(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
  return fd;
}

/// One echo exchange: requests spread over the timeout, answered by any reply.
class EchoExchange {
public:
  EchoExchange(UniqueFd fd, const IpAddr& target, const PingOptions& options)
      : m_fd(std::move(fd)), m_target(target), m_id(next_echo_id()), m_tries(std::max(1, options.tries)),
        m_start(Clock::now()), m_deadline(m_start + options.timeout), m_interval(options.timeout / m_tries) {}

  ProbeResult run(std::chrono::milliseconds timeout) {
    while (Clock::now() < m_deadline) {
      if (due()) {
        if (auto err = send_next(); err != 0) return from_errno(err);
      }
      if (auto done = wait_and_read()) return *done;
    }
    return failed(ProbeOutcome::timeout, "no reply within " + format_timeout(timeout));
  }

private:
  bool all_sent() const { return static_cast<int>(m_sent.size()) >= m_tries; }
  Clock::time_point next_send() const { return m_start + m_interval * static_cast<long>(m_sent.size()); }
  bool due() const { return !all_sent() && Clock::now() >= next_send(); }

  /// Returns 0 or the errno that says the echo cannot leave at all (no route).
  int send_next() {
    auto pkt = echo_request(m_target.family, m_id, static_cast<uint16_t>(m_sent.size() + 1));
    SockAddr to = to_sockaddr(m_target, 0);
    m_sent.push_back(Clock::now());
    if (::sendto(m_fd.get(), pkt.data(), pkt.size(), 0, to.get(), to.len) >= 0) return 0;
    int err = errno;
    return err == EAGAIN || err == ENOBUFS ? 0 : err; // a full queue is a lost packet, not a verdict
  }

  std::optional<ProbeResult> wait_and_read() {
    auto wake = m_deadline;
    if (!all_sent()) wake = std::min(wake, next_send());
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now()).count();
    pollfd pfd{m_fd.get(), POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(std::max<long>(ms, 0))) <= 0) return std::nullopt;
    return read_pending();
  }

  std::optional<ProbeResult> read_pending() {
    std::array<uint8_t, 2048> buf;
    for (;;) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      ssize_t n = ::recvfrom(m_fd.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) return std::nullopt;
      std::span<const uint8_t> pkt(buf.data(), static_cast<std::size_t>(n));
      IpAddr source = address_of(from);
      Received r = m_target.family == Family::v4 ? parse_v4(pkt, source, m_target, m_id)
                                                 : parse_v6(pkt, source, m_target, m_id);
      if (r.kind == Received::Kind::error) return failed(ProbeOutcome::unreachable, r.what);
      if (r.kind == Received::Kind::reply && r.seq >= 1 && r.seq <= m_sent.size())
        return ProbeResult{ProbeOutcome::ok, elapsed_ms(m_sent[r.seq - 1]), {}};
    }
  }

  UniqueFd m_fd;
  IpAddr m_target;
  uint16_t m_id;
  int m_tries;
  Clock::time_point m_start, m_deadline;
  Clock::duration m_interval;
  std::vector<Clock::time_point> m_sent; ///< send time of seq i+1
};

/// Runs `probe` on a thread inside `from`; a namespace that cannot be entered is an error result.
template <class Fn> ProbeResult probe_in(const NsRef& from, Fn&& probe) {
  auto ns = open_netns(from);
  if (!ns) return failed(ProbeOutcome::error, ns.error().message);
  ProbeResult result;
  auto ran = run_in_netns(ns->get(), [&]() -> Expected<void> {
    result = probe();
    return {};
  });
  if (!ran) return failed(ProbeOutcome::error, "namespace '" + from.node + "': " + ran.error().message);
  return result;
}

} // namespace

std::string_view to_string(ProbeOutcome o) {
  switch (o) {
  case ProbeOutcome::ok: return "ok";
  case ProbeOutcome::timeout: return "timeout";
  case ProbeOutcome::refused: return "refused";
  case ProbeOutcome::unreachable: return "unreachable";
  case ProbeOutcome::error: return "error";
  case ProbeOutcome::mismatch: return "mismatch";
  }
  return "error";
}

std::string format_timeout(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string format_rtt(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 0.1 ? "%.2f ms" : "%.1f ms", ms);
  return buf;
}

ProbeResult ping(const IpAddr& target, const PingOptions& options) {
  UniqueFd fd = open_icmp_socket(target.family);
  if (!fd) return failed(ProbeOutcome::error, "raw ICMP socket: " + errno_text(errno));
  return EchoExchange(std::move(fd), target, options).run(options.timeout);
}

ProbeResult tcp_connect(const IpAddr& target, uint16_t port, std::chrono::milliseconds timeout) {
  UniqueFd fd(::socket(af_of(target.family), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return failed(ProbeOutcome::error, "TCP socket: " + errno_text(errno));
  SockAddr to = to_sockaddr(target, port);
  auto start = Clock::now();
  if (::connect(fd.get(), to.get(), to.len) != 0) {
    if (errno != EINPROGRESS) return from_errno(errno);
    pollfd pfd{fd.get(), POLLOUT, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) return failed(ProbeOutcome::error, "poll: " + errno_text(errno));
    if (ready == 0) return failed(ProbeOutcome::timeout, "no answer within " + format_timeout(timeout));
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return from_errno(err);
  }
  return ProbeResult{ProbeOutcome::ok, elapsed_ms(start), {}};
}

ProbeResult ping_from(const NsRef& from, const IpAddr& target, const PingOptions& options) {
  return probe_in(from, [&] { return ping(target, options); });
}

ProbeResult tcp_connect_from(const NsRef& from, const IpAddr& target, uint16_t port,
                             std::chrono::milliseconds timeout) {
  return probe_in(from, [&] { return tcp_connect(target, port, timeout); });
}

} // namespace netlab
