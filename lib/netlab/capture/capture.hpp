#pragma once
// Live capture with libpcap on interfaces in several namespaces at once. Each
// handle is opened on a short-lived thread that entered the target's namespace
// (a packet socket stays in the namespace it was made in); one thread then
// polls them all and hands packets on in timestamp order. pcap.h stays in the
// .cpp file.
#include <netlab/capture/pcapng.hpp>
#include <netlab/capture/targets.hpp>
#include <netlab/util/error.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace netlab {

/// What to capture and when to stop.
struct CaptureSpec {
  std::string filter;         ///< BPF (pcap-filter(7)); "" takes everything
  uint64_t count = 0;         ///< stop after this many packets in all (0: no limit)
  double duration_s = 0;      ///< stop after this many seconds (0: no limit)
  uint32_t snaplen = 65535;   ///< bytes kept of each packet (also the size of a ring slot)
  std::function<bool()> stop; ///< asked at least every 100 ms; true ends the capture
};

/// One packet as seen on one target.
struct CapturedPacket {
  size_t target = 0;  ///< index in the targets the capture was opened with
  uint64_t ts_ns = 0; ///< kernel receive time, nanoseconds since the epoch
  Direction direction = Direction::unknown;
  uint32_t orig_len = 0; ///< length on the wire (data may be shorter: snaplen)
  std::vector<uint8_t> data;
};

/// Why run() returned.
enum class CaptureEnd { count, duration, stopped, sink };

/// Capture handles open on every target; closed by the destructor.
class Capture {
public:
  /// Opens two handles per target (inbound, outbound: the direction libpcap
  /// cannot report otherwise), with the filter set. A missing interface or
  /// namespace fails (exit 1); a filter that does not compile fails with exit 2.
  static Expected<Capture> open(const std::vector<CaptureTarget>& targets, const CaptureSpec& spec);
  Capture(Capture&&) noexcept;
  Capture& operator=(Capture&&) noexcept;
  ~Capture();

  /// The link type (DLT) of target `i`.
  uint16_t linktype(size_t i) const;

  /// Hands packets to `sink` in timestamp order until the count, the duration,
  /// spec.stop or `sink` returning false ends it; `delivered` counts them.
  Expected<CaptureEnd> run(const std::function<bool(const CapturedPacket&)>& sink, uint64_t& delivered);

  /// Packets the kernel dropped because a handle's buffer was full (pcap_stats ps_drop, all
  /// handles; a handle's ring holds both directions, so drops of either count).
  uint64_t dropped() const;

private:
  struct Impl;
  explicit Capture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

} // namespace netlab
