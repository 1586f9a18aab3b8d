#pragma once
// The pure half of `netlab watch`: what an event says changed in which namespace, when a
// burst of events has settled (debounce), and how each thing the watcher does is
// told (a text line, or one JSON object per line for --json). No I/O.
#include <netlab/kernel/state.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {


/// What the events of one namespace say changed since it was last read: the
/// watcher reads again only that (ObserveUpdate), or the whole namespace when unsure.
struct NsChange {
  bool all = false;        ///< unsure (a malformed or overrun datagram, lost events, a new namespace): read it whole
  std::set<int> links;     ///< links (ifindex) made, changed or deleted (RTM_NEWLINK, RTM_DELLINK)
  bool addresses = false;  ///< RTM_NEWADDR, RTM_DELADDR
  bool routes = false;     ///< RTM_NEWROUTE, RTM_DELROUTE
  bool sysctls = false;    ///< RTM_NEWNETCONF, RTM_DELNETCONF (forwarding, rp_filter)
  bool nat = false;        ///< an nftables notification
  bool any() const { return all || !links.empty() || addresses || routes || sysctls || nat; }
  void merge(const NsChange& o) {
    all = all || o.all;
    links.insert(o.links.begin(), o.links.end());
    addresses = addresses || o.addresses;
    routes = routes || o.routes;
    sysctls = sysctls || o.sysctls;
    nat = nat || o.nat;
  }
};

/// What must be read again before the next diff.
struct Dirty {
  std::map<std::string, NsChange> nodes; ///< nodes whose namespace changed, and what changed
  bool file = false;                     ///< the topology file was written or replaced
  bool empty() const { return nodes.empty() && !file; }
  void merge(const Dirty& o) {
    for (const auto& [node, change] : o.nodes) nodes[node].merge(change);
    file = file || o.file;
  }
  /// `node` changed in ways no event tells (inotify, a resync, a new subscription).
  void whole(const std::string& node) { nodes[node].all = true; }
};

/// What one datagram read from an rtnetlink subscription (links, addresses,
/// routes, netconf) says changed. Truncated or malformed messages set `all`.
NsChange rtnl_datagram_changes(std::span<const std::byte> datagram);

/// Whether one datagram read from an rtnetlink subscription (links, addresses,
/// routes) or an nftables one (NFNLGRP_NFTABLES) holds a message that can change
/// what observe() reads. Truncated or malformed messages count as a change.
bool rtnl_datagram_matters(std::span<const std::byte> datagram);
bool nft_datagram_matters(std::span<const std::byte> datagram);

/// The nodes a change of /run/netns/<entry> concerns: the watched named
/// namespaces whose path is that entry.
std::vector<std::string> nodes_for_netns_entry(const std::vector<NsRef>& watched, std::string_view entry);

/// Whether a change of `entry` in the topology file's directory is the file
/// (written in place, or replaced by a rename as editors do).
bool is_topology_entry(std::string_view entry, std::string_view file_path);

/// The words (runs of letters, digits, '_', '.', '-') among `is_name`'s that a
/// file's new text plainly no longer holds: each was on a line of the old text
/// that is gone, and the new text has it nowhere, not even inside a longer word.
/// A guess made before the text is parsed (a range or a variable may make the
/// name still); the watcher lets go early of the namespaces so named, and a
/// wrong guess costs it one more read. Only the changed stretch is compared.
std::vector<std::string> names_gone(std::string_view before, std::string_view after,
                                    const std::function<bool(std::string_view)>& is_name);

/// Waits for a burst of events to settle: due `quiet` after the last event, and
/// never later than `max_delay` after the first (a steady stream still gets served).
class Debouncer {
public:
  using Clock = std::chrono::steady_clock;
  Debouncer(std::chrono::microseconds quiet, std::chrono::microseconds max_delay)
      : m_quiet(quiet), m_max(max_delay) {}
  /// An event arrived at `now`.
  void note(Clock::time_point now);
  /// An event arrived at `now` that needs no quiet after it (a file saved whole):
  /// the burst is due at once.
  void note_complete(Clock::time_point now) {
    note(now);
    m_complete = true;
  }
  /// Whether events are pending.
  bool pending() const { return m_first.has_value(); }
  /// When the pending burst is due (nullopt: nothing pending).
  std::optional<Clock::time_point> due() const;
  /// The first event of the burst, and forgets it (the caller handles it now).
  std::optional<Clock::time_point> take();

private:
  std::chrono::microseconds m_quiet, m_max;
  std::optional<Clock::time_point> m_first, m_last;
  bool m_complete = false;
};

/// One thing the watcher tells: found drift, repaired it, applied an edit, ...
struct WatchEvent {
  enum class Kind {
    watching, ///< the loop started (message: what it watches)
    drift,    ///< path/want/have differ (reported once until it changes)
    repair,   ///< path repaired: want, had (have), ms from the first event to the repair's end
    change,   ///< one action of an edit being applied (text: the plan line)
    edit,     ///< a file edit applied: changes, ms
    invalid,  ///< the file was edited into an invalid one: diagnostics (message each), lab kept
    resync,   ///< a namespace lost events (ENOBUFS) or the periodic resync: read again
    note,     ///< something worth a line (another run changed the lab, waiting for a lock)
    error,    ///< a repair or edit failed: message
    stop,     ///< the loop ended: message says why
  };
  Kind kind = Kind::note;
  std::string path;                 ///< drift, repair: "ns2/vethD/state"
  std::string state;                ///< drift, repair: Finding state ("missing", "different", "extra", ...)
  std::string want, have;           ///< drift, repair
  std::string message;              ///< note, error, stop, watching, resync; change: the plan line
  std::vector<std::string> problems; ///< invalid: "FILE:LINE:COL: message" each
  size_t changes = 0;               ///< edit
  std::optional<double> ms;         ///< repair, edit: elapsed milliseconds
};

std::string_view to_string(WatchEvent::Kind k);

/// The text line(s) of an event: "repaired ns2/vethD/state: want up, had down (3.1 ms)".
std::string format_watch_event(const WatchEvent& e);

/// One JSON object on one line: {"event": "repair", "lab", "path", "want", "have", "ms", ...}
/// (schema/json/watch.schema.json).
std::string watch_event_json(const std::string& lab, const WatchEvent& e);

} // namespace netlab
