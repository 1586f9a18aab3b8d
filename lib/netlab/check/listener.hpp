#pragma once
// A small TCP server living in one namespace: the far end of `tcp` checks with
// `listen: NODE`, and the witness of NAT tests (it records who connected).
#include <netlab/kernel/state.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/fd.hpp>
#include <netlab/util/ip.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace netlab {

/// The source of one accepted connection, as the listener saw it (after any NAT).
struct TcpPeer {
  IpAddr addr;
  uint16_t port = 0;
};

/// Accepts TCP connections on its own thread, answers each with one line and
/// closes it. Stops and joins in its destructor.
class TcpListener {
public:
  /// Binds `addr` (unset: any address, IPv4 and IPv6) and `port` (0: ephemeral)
  /// inside namespace `ns`, then starts accepting.
  static Expected<std::unique_ptr<TcpListener>> start(const NsRef& ns, std::optional<IpAddr> addr, uint16_t port,
                                                      std::string greeting = "netlab\n");

  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  /// The bound port (useful after asking for port 0).
  uint16_t port() const { return m_port; }

  /// Every peer accepted so far, in order.
  std::vector<TcpPeer> peers() const;

  /// Waits until at least `count` peers were accepted; false on timeout.
  bool wait_for_peers(std::size_t count, std::chrono::milliseconds timeout) const;

private:
  TcpListener(UniqueFd listen_fd, UniqueFd stop_fd, uint16_t port, std::string greeting);
  void accept_loop();
  void serve_one();

  UniqueFd m_listen_fd;
  UniqueFd m_stop_fd; ///< eventfd the destructor signals
  uint16_t m_port;
  std::string m_greeting;
  mutable std::mutex m_mutex;
  mutable std::condition_variable m_accepted;
  std::vector<TcpPeer> m_peers;
  std::thread m_thread;
};

} // namespace netlab
