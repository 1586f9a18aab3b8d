#include <netlab/live/server.hpp>

#include <netlab/live/live_state.hpp>

#include <httplib.h> // only here: a large header, and its build options (Debian's) apply to this file alone

#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace netlab {

struct LiveServer::Impl {
  std::string page;
  httplib::Server http;
  std::jthread thread;
  int port = 0;
  /// Host headers a loopback server answers (empty: any, with --allow-remote): a
  /// page of another site that resolves its own name to 127.0.0.1 (DNS
  /// rebinding) sends its own name, and is refused.
  std::vector<std::string> hosts;
  std::mutex mutex;
  std::condition_variable changed;
  std::string state = "{}"; ///< the last published document
  uint64_t version = 0;     ///< bumped by every new document
  bool stopping = false;
};

namespace {

// An event stream waits for a new document; a comment line every 15 s finds a
// browser that went away (the write fails) and keeps proxies from timing out.
constexpr auto k_keepalive = std::chrono::seconds(15);

} // namespace

LiveServer::LiveServer(std::string page) : m(std::make_unique<Impl>()) {
  m->page = std::move(page);
  // httplib's default also sets SO_REUSEPORT, with which a second server binds the
  // same port and the two share its connections: one server per port, as a user expects.
  m->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // An idle keep-alive connection is looked at this often: stop() waits no longer for it.
  m->http.set_keep_alive_timeout(1);
  Impl* self = m.get();
  m->http.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    if (self->hosts.empty() || std::ranges::find(self->hosts, req.get_header_value("Host")) != self->hosts.end())
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 421; // Misdirected Request
    res.set_content("netlab graph --serve answers only requests addressed to it\n", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  m->http.Get("/", [self](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(self->page, "text/html; charset=utf-8");
  });
  m->http.Get("/state", [self](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(self->mutex);
    res.set_header("Cache-Control", "no-store");
    res.set_content(self->state, "application/json");
  });
  m->http.Get("/events", [self](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider(
        "text/event-stream", [self, seen = uint64_t(0)](size_t, httplib::DataSink& sink) mutable {
          std::unique_lock lock(self->mutex);
          self->changed.wait_for(lock, k_keepalive, [&] { return self->stopping || self->version != seen; });
          if (self->stopping) return false;
          std::string chunk;
          if (self->version == seen) {
            chunk = ": keepalive\n\n";
          } else {
            seen = self->version;
            chunk = "data: " + self->state + "\n\n"; // one line: JSON dumped without newlines
          }
          lock.unlock();
          return sink.write(chunk.data(), chunk.size());
        });
  });
}

LiveServer::~LiveServer() {
  stop();
}

Expected<void> LiveServer::bind(const ListenAddress& where) {
  const std::string address = where.host.find(':') != std::string::npos ? "[" + where.host + "]" : where.host;
  const std::string name = address + ":" + std::to_string(where.port);
  if (where.port == 0) {
    int port = m->http.bind_to_any_port(where.host);
    if (port < 0) return fail("cannot listen on " + name + ": " + errno_text(errno));
    m->port = port;
  } else {
    if (!m->http.bind_to_port(where.host, where.port))
      return fail("cannot listen on " + name + ": " + errno_text(errno));
    m->port = where.port;
  }
  if (where.loopback) {
    const std::string port = ":" + std::to_string(m->port);
    m->hosts = {address + port, "localhost" + port, "127.0.0.1" + port, "[::1]" + port};
  }
  return {};
}

int LiveServer::port() const {
  return m->port;
}

void LiveServer::start() {
  m->thread = std::jthread([this] { m->http.listen_after_bind(); });
}

bool LiveServer::publish(std::string state) {
  {
    std::lock_guard lock(m->mutex);
    if (state == m->state) return false;
    m->state = std::move(state);
    ++m->version;
  }
  m->changed.notify_all();
  return true;
}

void LiveServer::stop() {
  {
    std::lock_guard lock(m->mutex);
    if (m->stopping) return;
    m->stopping = true;
  }
  m->changed.notify_all();
  m->http.stop();
  if (m->thread.joinable()) m->thread.join();
}

void serve_lab(const Topology& want, LiveServer& server, std::chrono::milliseconds period,
               const std::function<bool()>& stop) {
  using Clock = std::chrono::steady_clock;
  while (!stop()) {
    const auto due = Clock::now() + period;
    auto kernel = make_netlink_kernel();
    kernel->read_kernel_view(true); // counters and every route, for the page
    auto state = read_live_state(*kernel, want);
    kernel.reset();
    server.publish(state ? std::move(*state)
                         : nlohmann::json{{"lab", want.name}, {"error", state.error().message}}.dump());
    while (!stop() && Clock::now() < due)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

} // namespace netlab
