#include <netlab/watch/event.hpp>

#include <netlab/report/report.hpp>
#include <netlab/util/escape.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <set>
#include <unordered_map>

namespace netlab {

namespace {

/// Calls fn(type, payload) for each message in a datagram until it returns true;
/// false when the datagram is malformed.
template <class Fn> bool each_message(std::span<const std::byte> d, Fn&& fn) {
  size_t off = 0;
  while (off + sizeof(nlmsghdr) <= d.size()) {
    nlmsghdr h{};
    std::memcpy(&h, d.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > d.size()) return false;
    if (fn(h.nlmsg_type, d.subspan(off + NLMSG_HDRLEN, h.nlmsg_len - std::min<size_t>(h.nlmsg_len, NLMSG_HDRLEN))))
      return true;
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return off == d.size() || d.size() - off < sizeof(nlmsghdr);
}

} // namespace

NsChange rtnl_datagram_changes(std::span<const std::byte> datagram) {
  NsChange c;
  bool ok = each_message(datagram, [&](uint16_t type, std::span<const std::byte> payload) {
    switch (type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      ifinfomsg ifi{};
      if (payload.size() < sizeof ifi) return c.all = true;
      std::memcpy(&ifi, payload.data(), sizeof ifi);
      c.links.insert(ifi.ifi_index);
      return false;
    }
    case RTM_NEWADDR: case RTM_DELADDR: c.addresses = true; return false;
    case RTM_NEWROUTE: case RTM_DELROUTE: c.routes = true; return false;
    case RTM_NEWNETCONF: case RTM_DELNETCONF: c.sysctls = true; return false;
    case NLMSG_OVERRUN: return c.all = true;
    default: return false;
    }
  });
  if (!ok) c.all = true;
  return c;
}

bool rtnl_datagram_matters(std::span<const std::byte> datagram) { return rtnl_datagram_changes(datagram).any(); }

bool nft_datagram_matters(std::span<const std::byte> datagram) {
  bool matters = false;
  bool ok = each_message(datagram, [&](uint16_t type, std::span<const std::byte>) {
    // Every nftables notification (tables, chains, rules, the generation that ends a batch).
    matters = (type >> 8) == NFNL_SUBSYS_NFTABLES || type == NLMSG_OVERRUN;
    return matters;
  });
  return matters || !ok;
}

std::vector<std::string> nodes_for_netns_entry(const std::vector<NsRef>& watched, std::string_view entry) {
  std::vector<std::string> out;
  if (entry.empty() || entry.find('/') != std::string_view::npos) return out;
  const std::string path = "/run/netns/" + std::string(entry);
  for (const auto& r : watched)
    if (r.kind == NodeKind::netns && r.path == path) out.push_back(r.node);
  return out;
}

namespace {

/// Calls fn(line) for each line of `text` (without its '\n').
template <class Fn> void for_each_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    fn(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

bool word_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
}

} // namespace

std::vector<std::string> names_gone(std::string_view before, std::string_view after,
                                    const std::function<bool(std::string_view)>& is_name) {
  // The changed stretch: between the longest common prefix and suffix, widened to whole lines.
  size_t head = 0;
  const size_t shortest = std::min(before.size(), after.size());
  while (head < shortest && before[head] == after[head]) ++head;
  size_t tail = 0;
  while (tail < shortest - head && before[before.size() - 1 - tail] == after[after.size() - 1 - tail]) ++tail;
  const size_t line_end = head == 0 ? std::string_view::npos : before.rfind('\n', head - 1); // of the line before
  head = line_end == std::string_view::npos ? 0 : line_end + 1;
  auto stretch = [&](std::string_view text) {
    size_t end = text.find('\n', text.size() - tail);
    return text.substr(head, (end == std::string_view::npos ? text.size() : end) - head);
  };
  const std::string_view was = stretch(before), now = stretch(after);
  std::unordered_map<std::string_view, int> kept;
  for_each_line(now, [&](std::string_view line) { ++kept[line]; });
  std::set<std::string> candidates;
  for_each_line(was, [&](std::string_view line) {
    if (auto it = kept.find(line); it != kept.end() && it->second > 0) {
      --it->second;
      return;
    }
    for (size_t i = 0; i < line.size();) {
      if (!word_char(line[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < line.size() && word_char(line[j])) ++j;
      if (std::string_view word = line.substr(i, j - i); is_name(word)) candidates.emplace(word);
      i = j;
    }
  });
  std::vector<std::string> out;
  for (const auto& name : candidates)
    if (after.find(name) == std::string_view::npos) out.push_back(name);
  return out;
}

bool is_topology_entry(std::string_view entry, std::string_view file_path) {
  return !entry.empty() && std::filesystem::path(file_path).filename() == entry;
}

void Debouncer::note(Clock::time_point now) {
  if (!m_first) m_first = now;
  m_last = now;
}

std::optional<Debouncer::Clock::time_point> Debouncer::due() const {
  if (!m_first) return std::nullopt;
  if (m_complete) return m_last;
  return std::min(*m_last + m_quiet, *m_first + m_max);
}

std::optional<Debouncer::Clock::time_point> Debouncer::take() {
  auto first = m_first;
  m_first.reset();
  m_last.reset();
  m_complete = false;
  return first;
}

std::string_view to_string(WatchEvent::Kind k) {
  switch (k) {
  case WatchEvent::Kind::watching: return "watching";
  case WatchEvent::Kind::drift: return "drift";
  case WatchEvent::Kind::repair: return "repair";
  case WatchEvent::Kind::change: return "change";
  case WatchEvent::Kind::edit: return "edit";
  case WatchEvent::Kind::invalid: return "invalid";
  case WatchEvent::Kind::resync: return "resync";
  case WatchEvent::Kind::note: return "note";
  case WatchEvent::Kind::error: return "error";
  case WatchEvent::Kind::stop: return "stop";
  }
  return "note";
}

namespace {

std::string ms_text(const std::optional<double>& ms) {
  if (!ms) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.1f ms)", *ms);
  return buf;
}

/// "want up, had down" (past: a repair) or "want up, have down" (drift).
std::string want_have(const WatchEvent& e, bool past) {
  const char* had = past ? "had" : "have";
  if (e.state == "missing") return e.want.empty() ? (past ? "was missing" : "missing") : "want " + e.want + ", " + had + " none";
  if (e.state == "extra") return std::string(had) + " " + (e.have.empty() ? "it" : e.have) + ", not declared";
  return "want " + e.want + ", " + had + " " + e.have;
}

} // namespace

std::string format_watch_event(const WatchEvent& e) {
  const std::string path = escape_for_terminal(e.path);
  switch (e.kind) {
  case WatchEvent::Kind::drift: return "drift " + path + ": " + want_have(e, false);
  case WatchEvent::Kind::repair: return "repaired " + path + ": " + want_have(e, true) + ms_text(e.ms);
  case WatchEvent::Kind::change: return e.message;
  case WatchEvent::Kind::edit: return "edit applied: " + summary_line(e.changes, e.ms.value_or(0));
  case WatchEvent::Kind::invalid: {
    std::string out;
    for (const auto& p : e.problems) out += p + "\n";
    return out + e.message;
  }
  case WatchEvent::Kind::watching: return "watching " + e.message;
  case WatchEvent::Kind::resync: return "resync " + e.message;
  case WatchEvent::Kind::note: return "note: " + e.message;
  case WatchEvent::Kind::error: return "error: " + e.message;
  case WatchEvent::Kind::stop: return "stopped: " + e.message;
  }
  return e.message;
}

std::string watch_event_json(const std::string& lab, const WatchEvent& e) {
  nlohmann::json j;
  j["schema_version"] = k_json_schema_version;
  j["event"] = std::string(to_string(e.kind));
  j["lab"] = lab;
  if (!e.path.empty()) j["path"] = e.path;
  if (!e.state.empty()) j["state"] = e.state;
  if (e.kind == WatchEvent::Kind::drift || e.kind == WatchEvent::Kind::repair) {
    if (!e.want.empty()) j["want"] = e.want;
    if (!e.have.empty()) j["have"] = e.have;
  }
  if (!e.message.empty()) j["message"] = e.message;
  if (e.kind == WatchEvent::Kind::invalid) j["problems"] = e.problems;
  if (e.kind == WatchEvent::Kind::edit) j["changes"] = e.changes;
  if (e.ms) j["ms"] = *e.ms;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace netlab
