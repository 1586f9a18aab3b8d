#include <netlab/check/listener.hpp>
#include <netlab/check/sockaddr.hpp>
#include <netlab/util/netns.hpp>

#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace netlab {

namespace {

/// Any address: a dual-stack IPv6 socket when the namespace has IPv6, else IPv4.
Expected<UniqueFd> any_socket(uint16_t port) {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd) {
    int off = 0;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    IpAddr any{Family::v6, {}};
    SockAddr sa = to_sockaddr(any, port);
    if (::bind(fd.get(), sa.get(), sa.len) == 0) return fd;
    if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) return fail("bind [::]:" + std::to_string(port) + ": " + errno_text(errno));
  }
  fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail("TCP socket: " + errno_text(errno));
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  SockAddr sa = to_sockaddr(IpAddr{}, port);
  if (::bind(fd.get(), sa.get(), sa.len) != 0) return fail("bind 0.0.0.0:" + std::to_string(port) + ": " + errno_text(errno));
  return fd;
}

Expected<UniqueFd> bound_socket(const IpAddr& addr, uint16_t port) {
  UniqueFd fd(::socket(af_of(addr.family), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail("TCP socket: " + errno_text(errno));
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  SockAddr sa = to_sockaddr(addr, port);
  if (::bind(fd.get(), sa.get(), sa.len) != 0)
    return fail("bind " + addr.str() + ":" + std::to_string(port) + ": " + errno_text(errno));
  return fd;
}

/// Creates, binds and listens; the socket stays in the namespace it was made in.
/// Non-blocking, so a connection reset between poll() and accept() cannot hang the thread.
Expected<UniqueFd> listening_socket(std::optional<IpAddr> addr, uint16_t port) {
  auto fd = addr ? bound_socket(*addr, port) : any_socket(port);
  if (!fd) return fd;
  if (::listen(fd->get(), 64) != 0) return fail("listen: " + errno_text(errno));
  return fd;
}

} // namespace

Expected<std::unique_ptr<TcpListener>> TcpListener::start(const NsRef& ns, std::optional<IpAddr> addr, uint16_t port,
                                                          std::string greeting) {
  auto ns_fd = open_netns(ns);
  if (!ns_fd) return std::unexpected(ns_fd.error());
  UniqueFd listen_fd;
  auto made = run_in_netns(ns_fd->get(), [&]() -> Expected<void> {
    auto fd = listening_socket(addr, port);
    if (!fd) return std::unexpected(fd.error());
    listen_fd = std::move(*fd);
    return {};
  });
  if (!made) return fail("listener in '" + ns.node + "': " + made.error().message);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
  UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd) return fail("eventfd: " + errno_text(errno));
  return std::unique_ptr<TcpListener>(
      new TcpListener(std::move(listen_fd), std::move(stop_fd), port_of(bound), std::move(greeting)));
}

TcpListener::TcpListener(UniqueFd listen_fd, UniqueFd stop_fd, uint16_t port, std::string greeting)
    : m_listen_fd(std::move(listen_fd)), m_stop_fd(std::move(stop_fd)), m_port(port), m_greeting(std::move(greeting)) {
  m_thread = std::thread([this] { accept_loop(); });
}

TcpListener::~TcpListener() {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(m_stop_fd.get(), &one, sizeof one);
  m_thread.join();
}

std::vector<TcpPeer> TcpListener::peers() const {
  std::lock_guard lock(m_mutex);
  return m_peers;
}

bool TcpListener::wait_for_peers(std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(m_mutex);
  return m_accepted.wait_for(lock, timeout, [&] { return m_peers.size() >= count; });
}

void TcpListener::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{m_listen_fd.get(), POLLIN, 0}, {m_stop_fd.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLIN) serve_one();
  }
}

void TcpListener::serve_one() {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  UniqueFd conn(::accept4(m_listen_fd.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return;
  {
    std::lock_guard lock(m_mutex);
    m_peers.push_back({address_of(peer), port_of(peer)});
  }
  m_accepted.notify_all();
  // A reset or a full buffer on the peer's side is its problem, never ours.
  ::send(conn.get(), m_greeting.data(), m_greeting.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(conn.get(), SHUT_WR);
}

} // namespace netlab
