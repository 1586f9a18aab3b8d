#pragma once
// The HTTP side of `netlab graph --serve` (cpp-httplib, on its own threads):
// GET / (the page), GET /state (the last state document), GET /events (Server-
// Sent Events: every new state document as one `data:` line). Read-only: there is
// no endpoint that changes anything. What it serves comes from publish(); the
// observing is serve_lab's, on the caller's thread.
#include <netlab/kernel/kernel.hpp>
#include <netlab/live/listen.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace netlab {

/// An HTTP server for one page and its state.
class LiveServer {
public:
  explicit LiveServer(std::string page);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;
  /// Binds `where` (port 0: a free port). Fails naming the address and the reason.
  Expected<void> bind(const ListenAddress& where);
  /// The port bound (after bind).
  int port() const;
  /// Starts answering requests on the server's threads.
  void start();
  /// A new state document: /state answers it from now on and /events pushes it,
  /// unless it equals the last one. Returns whether it was new.
  bool publish(std::string state);
  /// Ends every open event stream and the server's threads. Idempotent.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

/// The observe loop: reads the lab every `period` with a fresh kernel handle (so
/// that no socket keeps a namespace alive that `down` is deleting), and publishes
/// read_live_state's document; an error becomes {"lab", "error"}. Returns when
/// `stop()` says so (it is asked every 50 ms).
void serve_lab(const Topology& want, LiveServer& server, std::chrono::milliseconds period,
               const std::function<bool()>& stop);

} // namespace netlab
