#pragma once
// Bare rtnetlink requests for the benchmarks: netlab_floor builds labs with them,
// netlab_bench makes the hand changes a watcher must repair. No libnl, nothing
// read back but acks: the least a program can ask of the kernel.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::bench {

/// A failed request ends the program, naming it and the kernel's errno text.
[[noreturn]] inline void rtnl_die(const std::string& what, int err) {
  std::fprintf(stderr, "netlink: %s: %s\n", what.c_str(), std::strerror(err));
  std::exit(1);
}

/// One rtnetlink request, built in place: header, fixed part, attributes.
class Request {
public:
  Request(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  }
  template <typename T> void fixed(const T& value) { append(&value, sizeof value); }
  void attr(uint16_t type, const void* data, size_t len) {
    nlattr a{static_cast<uint16_t>(NLA_HDRLEN + len), type};
    append(&a, sizeof a);
    append(data, len);
  }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(uint16_t type, std::string_view s) {
    std::string z(s);
    attr(type, z.c_str(), z.size() + 1);
  }
  /// Opens a nested attribute; close it with end(returned offset).
  size_t begin(uint16_t type) {
    size_t at = buf_.size();
    nlattr a{0, type};
    append(&a, sizeof a);
    return at;
  }
  void end(size_t at) {
    nlattr a{};
    std::memcpy(&a, buf_.data() + at, sizeof a);
    a.nla_len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at, &a, sizeof a);
  }
  /// The finished message with sequence number `seq`.
  const std::vector<char>& done(uint32_t seq) {
    header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    header()->nlmsg_seq = seq;
    return buf_;
  }

private:
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void append(const void* data, size_t len) {
    const auto* p = static_cast<const char*>(data);
    buf_.insert(buf_.end(), p, p + len);
    buf_.resize(NLMSG_ALIGN(buf_.size()), 0);
  }
  std::vector<char> buf_;
};

/// A NETLINK_ROUTE socket of one namespace (the one it was opened in). Requests
/// are pipelined: send() does not wait; at most k_window acks are outstanding,
/// and drain() waits for all of them. Any error ack ends the program, naming it.
class Socket {
public:
  static constexpr uint32_t k_window = 256;

  Socket() {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ < 0) rtnl_die("netlink socket", errno);
    sockaddr_nl local{.nl_family = AF_NETLINK, .nl_pad = 0, .nl_pid = 0, .nl_groups = 0};
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) rtnl_die("bind netlink", errno);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }

  void send(Request& r, std::string what) {
    if (seq_ - acked_ >= k_window) wait_acks(seq_ - k_window / 2);
    const auto& msg = r.done(++seq_);
    what_.push_back(std::move(what));
    if (::send(fd_, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) rtnl_die(what_.back(), errno);
  }
  void drain() { wait_acks(seq_); }

private:
  void wait_acks(uint32_t until) {
    alignas(nlmsghdr) char buf[65536];
    while (acked_ < until) {
      ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got < 0) rtnl_die("netlink recv", errno);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(got));
           h = NLMSG_NEXT(h, got)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (e->error != 0) rtnl_die(what_.at(h->nlmsg_seq - 1), -e->error);
        acked_ = std::max(acked_, h->nlmsg_seq);
      }
    }
  }
  int fd_ = -1;
  uint32_t seq_ = 0;
  uint32_t acked_ = 0;
  std::vector<std::string> what_; ///< what request seq-1 was, for an error message
};

} // namespace netlab::bench
