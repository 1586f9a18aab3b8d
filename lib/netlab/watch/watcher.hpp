#pragma once
// `netlab watch`: keeps a lab that is up true to its file. One epoll loop over
// netlink subscriptions in every namespace the lab touches (links, addresses,
// routes; nftables where it has NAT), inotify on /run/netns and on the file's
// directory, and a signal eventfd. Events say what changed in which namespace;
// after a short debounce only that is read again (ObserveUpdate), diffed against
// the file and repaired (or reported, without heal). A file edit is validated and
// applied as a delta.
#include <netlab/apply/engine.hpp>
#include <netlab/kernel/kernel.hpp>
#include <netlab/plan/lab_state.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/watch/event.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace netlab {

/// How a watcher behaves.
struct WatchOptions {
  std::string file;                      ///< the topology file (absolute path), watched for edits
  bool heal = true;                      ///< repair drift (false: only report it)
  std::chrono::seconds resync_period{60}; ///< full re-read of the lab this often (catches sysctls); 0: never
  std::chrono::microseconds quiet{2000};      ///< debounce: settle this long after the last event
  std::chrono::microseconds max_delay{10000}; ///< ... but no longer than this after the first
};

/// Why run() returned.
enum class WatchEnd { stopped, lab_down };

/// Receives every event the watcher tells (the app prints it as text or JSON).
using WatchSink = std::function<void(const WatchEvent&)>;

/// The watch loop over a lab that is up: `want` as applied, `memory` as saved.
class Watcher {
public:
  Watcher(Kernel& kernel, Topology want, LabState memory, WatchOptions options, WatchSink sink);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  /// Runs until SIGINT/SIGTERM (after install_watch_signals) or until another run takes the lab down.
  Expected<WatchEnd> run();
  /// The file as the watcher last applied it.
  const Topology& want() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

/// From here on SIGINT and SIGTERM end Watcher::run() (after the repair in progress) instead of the process.
void install_watch_signals();

} // namespace netlab
