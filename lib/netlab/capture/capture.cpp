#include <netlab/capture/capture.hpp>
#include <netlab/util/netns.hpp>

#include <pcap/pcap.h>

#include <algorithm>
#include <chrono>
#include <poll.h>
#include <queue>

namespace netlab {

namespace {

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapClose>;

/// One open handle: which target, which direction it sees.
struct Handle {
  PcapHandle pcap;
  size_t target = 0;
  Direction direction = Direction::unknown;
};

/// Packets wait here this long so that a later read of another handle can still
/// put an earlier packet before them.
constexpr uint64_t k_reorder_ns = 50'000'000;

/// Kernel buffer per handle (libpcap's default is 2 MiB): room for a longer burst
/// while the one reading thread serves the other handles.
constexpr size_t k_buffer_bytes = 8u << 20;

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

Expected<void> pcap_failed(const CaptureTarget& t, pcap_t* p, int rc, const std::string& what) {
  std::string text = rc == PCAP_ERROR || rc == PCAP_WARNING ? pcap_geterr(p) : pcap_statustostr(rc);
  if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
    return fail(t.where() +
                ": no such interface in the kernel (is the lab converged? netlab status shows what differs)");
  return fail(t.where() + ": " + what + ": " + text);
}

/// Creates and activates a handle for `t` in the calling thread's namespace.
Expected<PcapHandle> open_handle(const CaptureTarget& t, const CaptureSpec& spec, Direction dir) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle p(pcap_create(t.iface.c_str(), errbuf));
  if (!p) return fail(t.where() + ": " + errbuf);
  pcap_set_snaplen(p.get(), static_cast<int>(spec.snaplen));
  pcap_set_promisc(p.get(), 0); // a packet socket sees the device's frames anyway; leave its flags alone
  // Immediate mode (libpcap then uses TPACKET_V2: a ring of snaplen-sized slots):
  // every packet is readable at once. TPACKET_V3's blocks hold more, but a block
  // with the last few packets of a quiet link was not handed over here.
  pcap_set_immediate_mode(p.get(), 1);
  pcap_set_buffer_size(p.get(), static_cast<int>(k_buffer_bytes));
  pcap_set_tstamp_precision(p.get(), PCAP_TSTAMP_PRECISION_NANO);
  if (int rc = pcap_activate(p.get()); rc < 0) return std::unexpected(pcap_failed(t, p.get(), rc, "open").error());
  // Direction by pcap_setdirection (user space: each handle's ring also holds the
  // other direction). Putting `inbound`/`outbound` into the kernel filter instead
  // lost the first packets of a burst here.
  if (pcap_setdirection(p.get(), dir == Direction::in ? PCAP_D_IN : PCAP_D_OUT) != 0)
    return std::unexpected(pcap_failed(t, p.get(), PCAP_ERROR, "set direction").error());
  if (!spec.filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(p.get(), &prog, spec.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return fail("--filter '" + spec.filter + "': " + pcap_geterr(p.get()), ExitCode::usage);
    const int rc = pcap_setfilter(p.get(), &prog);
    pcap_freecode(&prog);
    if (rc != 0) return std::unexpected(pcap_failed(t, p.get(), PCAP_ERROR, "set filter").error());
  }
  if (pcap_setnonblock(p.get(), 1, errbuf) != 0) return fail(t.where() + ": " + errbuf);
  return p;
}

struct Later {
  bool operator()(const CapturedPacket& a, const CapturedPacket& b) const { return a.ts_ns > b.ts_ns; }
};

} // namespace

struct Capture::Impl {
  std::vector<Handle> handles;
  std::vector<uint16_t> linktypes; ///< per target
  CaptureSpec spec;
  /// Read but not yet handed on, earliest first.
  std::priority_queue<CapturedPacket, std::vector<CapturedPacket>, Later> pending;
  Expected<void> read_error;

  /// What on_packet gets as its user pointer.
  struct ReadContext {
    Impl* impl;
    const Handle* handle;
  };

  static void on_packet(u_char* user, const pcap_pkthdr* h, const u_char* bytes);
  Expected<void> open_target(size_t index, const CaptureTarget& t);
  bool read_all(const std::vector<pollfd>& fds);
  /// Hands on what is older than `horizon_ns`; false when the capture is over.
  bool deliver(uint64_t horizon_ns, const std::function<bool(const CapturedPacket&)>& sink, uint64_t& delivered,
               CaptureEnd& end);
};

void Capture::Impl::on_packet(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* ctx = reinterpret_cast<ReadContext*>(user);
  CapturedPacket p;
  p.target = ctx->handle->target;
  // With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds.
  p.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(h->ts.tv_usec);
  p.direction = ctx->handle->direction;
  p.orig_len = h->len;
  p.data.assign(bytes, bytes + h->caplen);
  ctx->impl->pending.push(std::move(p));
}

Expected<void> Capture::Impl::open_target(size_t index, const CaptureTarget& t) {
  auto fd = open_netns(t.ns);
  if (!fd) return fail(t.where() + ": " + fd.error().message);
  std::vector<Handle> opened;
  auto entered = run_in_netns(fd->get(), [&]() -> Expected<void> {
    for (Direction dir : {Direction::in, Direction::out}) {
      auto h = open_handle(t, spec, dir);
      if (!h) return std::unexpected(h.error());
      opened.push_back(Handle{std::move(*h), index, dir});
    }
    return {};
  });
  if (!entered) return entered;
  linktypes[index] = static_cast<uint16_t>(pcap_datalink(opened.front().pcap.get()));
  for (auto& h : opened)
    handles.push_back(std::move(h));
  return {};
}

bool Capture::Impl::read_all(const std::vector<pollfd>& fds) {
  for (size_t i = 0; i < handles.size(); ++i) {
    if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
    ReadContext ctx{this, &handles[i]};
    const int n = pcap_dispatch(handles[i].pcap.get(), -1, &Impl::on_packet, reinterpret_cast<u_char*>(&ctx));
    if (n == PCAP_ERROR) {
      read_error = fail("reading packets: " + std::string(pcap_geterr(handles[i].pcap.get())));
      return false;
    }
  }
  return true;
}

bool Capture::Impl::deliver(uint64_t horizon_ns, const std::function<bool(const CapturedPacket&)>& sink,
                            uint64_t& delivered, CaptureEnd& end) {
  while (!pending.empty() && pending.top().ts_ns <= horizon_ns) {
    if (!sink(pending.top())) {
      end = CaptureEnd::sink;
      return false;
    }
    pending.pop();
    if (++delivered == spec.count) {
      end = CaptureEnd::count;
      return false;
    }
  }
  return true;
}

Capture::Capture(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Capture::Capture(Capture&&) noexcept = default;
Capture& Capture::operator=(Capture&&) noexcept = default;
Capture::~Capture() = default;

Expected<Capture> Capture::open(const std::vector<CaptureTarget>& targets, const CaptureSpec& spec) {
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->linktypes.resize(targets.size());
  for (size_t i = 0; i < targets.size(); ++i)
    if (auto ok = impl->open_target(i, targets[i]); !ok) return std::unexpected(ok.error());
  return Capture(std::move(impl));
}

uint16_t Capture::linktype(size_t i) const {
  return m_impl->linktypes.at(i);
}

uint64_t Capture::dropped() const {
  uint64_t n = 0;
  for (const auto& h : m_impl->handles) {
    pcap_stat st{};
    if (pcap_stats(h.pcap.get(), &st) == 0) n += st.ps_drop;
  }
  return n;
}

Expected<CaptureEnd> Capture::run(const std::function<bool(const CapturedPacket&)>& sink, uint64_t& delivered) {
  Impl& m = *m_impl;
  std::vector<pollfd> fds;
  for (const auto& h : m.handles)
    fds.push_back(pollfd{pcap_get_selectable_fd(h.pcap.get()), POLLIN, 0});
  const auto start = std::chrono::steady_clock::now();
  const auto limit = std::chrono::duration<double>(m.spec.duration_s);
  CaptureEnd end = CaptureEnd::stopped;
  for (;;) {
    const bool stop = m.spec.stop && m.spec.stop();
    const bool timed_out = m.spec.duration_s > 0 && std::chrono::steady_clock::now() - start >= limit;
    if (stop || timed_out) {
      // What the kernel holds already, and what is read, still goes out, in order, up to the count.
      std::vector<pollfd> all = fds;
      for (auto& f : all)
        f.revents = POLLIN;
      for (size_t before = SIZE_MAX; before != m.pending.size() && m.read_all(all);)
        before = m.pending.size(); // again until a round reads nothing: one call may hand over one block
      end = timed_out && !stop ? CaptureEnd::duration : CaptureEnd::stopped;
      CaptureEnd last = end;
      m.deliver(UINT64_MAX, sink, delivered, last);
      return last == CaptureEnd::sink ? CaptureEnd::sink : end;
    }
    for (auto& f : fds)
      f.revents = 0;
    ::poll(fds.data(), fds.size(), 100); // EINTR (a signal): the loop asks spec.stop next
    if (!m.read_all(fds)) {
      m.deliver(UINT64_MAX, sink, delivered, end);
      return std::unexpected(m.read_error.error());
    }
    if (!m.deliver(now_ns() - k_reorder_ns, sink, delivered, end)) return end;
  }
}

} // namespace netlab
