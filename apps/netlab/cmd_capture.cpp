// `netlab capture [FILE|-l LAB] NODE:IF...`: packets of several interfaces, in
// several namespaces, merged in time order into one pcapng file or stream, or
// summarised one line per packet. The capture itself: lib/netlab/capture/.
#include "common.hpp"

#include <netlab/apply/state_store.hpp>
#include <netlab/capture/capture.hpp>
#include <netlab/capture/pcapng.hpp>
#include <netlab/capture/summary.hpp>
#include <netlab/capture/targets.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <poll.h>
#include <unistd.h>

namespace netlab::app {

namespace {

struct CaptureOptions {
  std::string lab;                ///< -l LAB
  std::vector<std::string> words; ///< [FILE] NODE:IF...
  std::string write;              ///< -w: a file, "-" for stdout, "" for the summary
  std::string filter;
  uint64_t count = 0;
  double duration = 0;
  bool both_ends = false;
};

/// The file to read the lab from and the NODE:IF words: FILE is the first word
/// unless -l is given.
Expected<std::pair<std::string, std::vector<std::string>>> split_words(const CaptureOptions& o) {
  std::vector<std::string> words = o.words;
  std::string file;
  if (o.lab.empty()) {
    std::error_code ec;
    if (words.empty() ||
        (words.front().find(':') != std::string::npos && !std::filesystem::is_regular_file(words.front(), ec)))
      return fail("capture needs the lab: netlab capture FILE NODE:IF... or netlab capture -l LAB NODE:IF...",
                  ExitCode::usage);
    file = words.front();
    words.erase(words.begin());
  } else {
    if (auto ok = check_lab_name(o.lab); !ok) return std::unexpected(ok.error());
    file = lab_topology_path(o.lab);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return fail("lab '" + o.lab + "' is not up (no state in /run/netlab)");
  }
  if (words.empty()) return fail("capture needs at least one NODE:IF (e.g. ns1:veth1, or ns1:*)", ExitCode::usage);
  return std::pair{file, words};
}

/// Whether the reader of pipe `fd` has gone (POLLERR on the write end): noticed
/// between packets, not only at the next write, so a quiet link does not keep
/// `netlab capture -w - | head` running.
bool reader_gone(int fd) {
  pollfd p{fd, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/// ", the kernel dropped 12 (...)", or "" for none. Each handle's ring also holds the
/// other direction's packets, so this counts drops the user may not have asked for.
std::string dropped_text(uint64_t n) {
  return n ? ", the kernel dropped " + std::to_string(n) + " (buffers full; both directions counted)" : "";
}

bool lab_is_up(const Topology& topo) {
  const auto labs = list_lab_states();
  return std::ranges::find(labs, topo.name) != labs.end();
}

/// Writes each packet as a pcapng block to `out` (flushed per packet, so a pipe
/// reader sees it at once). False once the reader is gone.
class PcapngSink {
public:
  /// `stream`: flush after every packet (a pipe reader such as Wireshark sees it at once).
  PcapngSink(std::FILE* out, bool stream) : m_out(out), m_stream(stream) {}
  bool header(const Capture& cap, const std::vector<CaptureTarget>& targets, const std::string& lab, uint32_t snaplen) {
    std::string head = pcapng_section_header();
    for (size_t i = 0; i < targets.size(); ++i)
      head += pcapng_interface(cap.linktype(i), snaplen, targets[i].where(), capture_description(lab, targets[i]));
    return put(head);
  }
  bool operator()(const CapturedPacket& p) {
    return put(pcapng_packet(static_cast<uint32_t>(p.target), p.ts_ns, p.data, p.orig_len, p.direction));
  }

private:
  bool put(const std::string& bytes) {
    return std::fwrite(bytes.data(), 1, bytes.size(), m_out) == bytes.size() && (!m_stream || std::fflush(m_out) == 0);
  }
  std::FILE* m_out;
  bool m_stream;
};

struct FileClose {
  void operator()(std::FILE* f) const {
    if (f && f != stdout) std::fclose(f);
  }
};

int run_capture(const CaptureOptions& o, Globals& g) {
  auto words = split_words(o);
  if (!words) return report(words.error());
  if (auto ok = instance_from_lab(o.lab, g); !ok) return report(ok.error());
  auto topo = load_topology(words->first, g);
  if (!topo) return g.exit_code;
  auto targets = resolve_capture_targets(*topo, words->second, o.both_ends ? BothEnds::yes : BothEnds::no);
  if (!targets) return report(targets.error());
  if (o.write == "-" && ::isatty(STDOUT_FILENO)) {
    report_error("capture: will not write pcapng to a terminal (-w - is for a pipe: | wireshark -k -i -)");
    return static_cast<int>(ExitCode::usage);
  }
  if (!lab_is_up(*topo)) return report(Error{"lab '" + topo->name + "' is not up: run netlab up " + words->first +
                                                   (topo->instance.empty() ? "" : " -i " + topo->instance)});
  auto memory = load_lab_state(topo->name);
  if (!memory) return report(memory.error());
  if (auto ok = check_host_netns(*memory, g); !ok) return report(ok.error());

  stop_on_signals();
  std::signal(SIGPIPE, SIG_IGN); // a reader that goes away is a write error: the capture ends cleanly
  const bool to_stdout = o.write.empty() || o.write == "-";
  auto gone = std::make_shared<bool>(false);
  CaptureSpec spec{o.filter, o.count, o.duration, 65535, [to_stdout, gone] {
                     if (to_stdout && reader_gone(STDOUT_FILENO)) *gone = true;
                     return *gone || stop_requested();
                   }};
  auto cap = Capture::open(*targets, spec);
  if (!cap) return report(cap.error());

  std::unique_ptr<std::FILE, FileClose> file;
  std::function<bool(const CapturedPacket&)> sink;
  if (!o.write.empty()) {
    file.reset(o.write == "-" ? stdout : std::fopen(o.write.c_str(), "wbe"));
    if (!file) return report(Error{"cannot write '" + o.write + "': " + errno_text(errno)});
    auto pcapng = std::make_shared<PcapngSink>(file.get(), o.write == "-");
    if (!pcapng->header(*cap, *targets, topo->name, spec.snaplen)) {
      if (o.write != "-") return report(Error{"cannot write '" + o.write + "': " + errno_text(errno)});
      if (!g.quiet) std::fprintf(stderr, "0 packets captured (the reader went away)\n");
      return 0;
    }
    sink = [pcapng](const CapturedPacket& p) { return (*pcapng)(p); };
  } else {
    size_t width = 0;
    for (const auto& t : *targets)
      width = std::max(width, t.where().size());
    sink = [&cap, &targets, width](const CapturedPacket& p) {
      const std::string line = format_packet_line(format_capture_time(p.ts_ns), (*targets)[p.target].where(), width,
                                                  p.direction, summarize_packet(cap->linktype(p.target), p.data));
      return std::printf("%s\n", line.c_str()) > 0 && std::fflush(stdout) == 0;
    };
  }
  if (!g.quiet) {
    std::string names;
    for (const auto& t : *targets)
      names += (names.empty() ? "" : ", ") + t.where();
    std::fprintf(stderr, "capturing on %s%s (Ctrl-C stops)\n", names.c_str(),
                 o.filter.empty() ? "" : (", filter '" + o.filter + "'").c_str());
  }
  uint64_t packets = 0;
  auto end = cap->run(sink, packets);
  if (!g.quiet)
    std::fprintf(stderr, "%llu packet%s captured%s%s\n", static_cast<unsigned long long>(packets),
                 packets == 1 ? "" : "s", dropped_text(cap->dropped()).c_str(),
                 (end && *end == CaptureEnd::sink) || *gone ? " (the reader went away)" : "");
  if (!end) return report(end.error());
  if (file && std::fflush(file.get()) != 0 && !*gone)
    return report(Error{"cannot write '" + o.write + "': " + errno_text(errno)});
  return 0;
}

} // namespace

void add_capture(CLI::App& app, Globals& g) {
  auto o = std::make_shared<CaptureOptions>();
  auto* cmd = app.add_subcommand(
      "capture", "Capture packets on lab interfaces (several nodes at once) into one pcapng, or summarise them");
  cmd->add_option("-l,--lab", o->lab, "Lab name (uses the copy of its file kept in /run/netlab/LAB)");
  cmd->add_option("words", o->words, "[FILE] NODE:IF... (NODE:* is every interface the node declares)")
      ->type_name("[FILE] NODE:IF");
  cmd->add_option("-w,--write", o->write, "Write pcapng to FILE, or to stdout with -w - (| wireshark -k -i -)")
      ->type_name("FILE");
  cmd->add_option("--filter", o->filter, "BPF filter, as tcpdump takes it (pcap-filter(7)), e.g. 'icmp or arp'")
      ->type_name("BPF");
  cmd->add_option("-c,--count", o->count, "Stop after COUNT packets (all interfaces together)")
      ->type_name("COUNT")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--duration", o->duration, "Stop after SECONDS")->type_name("SECONDS")->check(CLI::PositiveNumber);
  cmd->add_flag("--both-ends", o->both_ends, "Also capture on the other end of each named veth");
  add_instance_flag(cmd, g);
  add_host_netns_flag(cmd, g);
  cmd->footer("Without -w, one line per packet: time, node:if, direction (in/out), protocol, addresses.\n"
              "Ctrl-C (or SIGTERM) stops and prints the packet count on stderr.\n"
              "Example: netlab capture -l veth-pair ns1:veth1 --both-ends -c 4\n"
              "Exit: 0 stopped (Ctrl-C, -c, --duration, the reader went away), 1 failure or the lab is not up,\n"
              "2 bad usage, invalid file, unknown node or interface, or a filter that does not compile.");
  cmd->callback([o, &g] { g.exit_code = run_capture(*o, g); });
}

} // namespace netlab::app
