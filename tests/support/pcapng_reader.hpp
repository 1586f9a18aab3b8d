#pragma once
// A minimal pcapng reader for the tests: the blocks netlab writes (SHB, IDB,
// EPB) in the host's byte order, their if_name / if_description and epb_flags.
// Independent of lib/netlab/capture, so a test of the writer checks the format,
// not the writer against itself.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace nltest {

struct PcapngInterface {
  uint16_t linktype = 0;
  uint32_t snaplen = 0;
  std::string name, description;
  uint8_t tsresol = 6;
};

struct PcapngPacket {
  uint32_t interface = 0;
  uint64_t ts = 0; ///< in the interface's if_tsresol units
  uint32_t orig_len = 0;
  std::string data;
  uint32_t flags = 0; ///< epb_flags (bits 0-1: 1 in, 2 out), 0 when absent
};

struct Pcapng {
  std::vector<PcapngInterface> interfaces;
  std::vector<PcapngPacket> packets;
};

namespace pcapng_detail {
inline uint32_t u32(const std::string& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;
}
inline uint16_t u16(const std::string& s, size_t off) {
  uint16_t v;
  std::memcpy(&v, s.data() + off, 2);
  return v;
}
/// Calls fn(code, value) for each option in [off, end).
template <class F> bool options(const std::string& s, size_t off, size_t end, F fn) {
  while (off + 4 <= end) {
    const uint16_t code = u16(s, off), len = u16(s, off + 2);
    if (code == 0) return true;
    if (off + 4 + len > end) return false;
    fn(code, s.substr(off + 4, len));
    off += 4 + ((len + 3u) & ~3u);
  }
  return true;
}
} // namespace pcapng_detail

/// The file's interfaces and packets, or nullopt when it is not well-formed pcapng.
inline std::optional<Pcapng> parse_pcapng(const std::string& s) {
  using namespace pcapng_detail;
  Pcapng out;
  size_t off = 0;
  bool first = true;
  while (off + 12 <= s.size()) {
    const uint32_t type = u32(s, off), len = u32(s, off + 4);
    if (len < 12 || len % 4 != 0 || off + len > s.size() || u32(s, off + len - 4) != len) return std::nullopt;
    const size_t body = off + 8, end = off + len - 4;
    if (first && (type != 0x0A0D0D0A || u32(s, body) != 0x1A2B3C4D)) return std::nullopt;
    first = false;
    if (type == 1) {
      PcapngInterface i;
      i.linktype = u16(s, body);
      i.snaplen = u32(s, body + 4);
      if (!options(s, body + 8, end, [&](uint16_t code, const std::string& v) {
            if (code == 2) i.name = v;
            if (code == 3) i.description = v;
            if (code == 9 && !v.empty()) i.tsresol = static_cast<uint8_t>(v[0]);
          }))
        return std::nullopt;
      out.interfaces.push_back(i);
    } else if (type == 6) {
      PcapngPacket p;
      p.interface = u32(s, body);
      p.ts = uint64_t(u32(s, body + 4)) << 32 | u32(s, body + 8);
      const uint32_t caplen = u32(s, body + 12);
      p.orig_len = u32(s, body + 16);
      if (body + 20 + caplen > end || p.interface >= out.interfaces.size()) return std::nullopt;
      p.data = s.substr(body + 20, caplen);
      if (!options(s, body + 20 + ((caplen + 3u) & ~3u), end, [&](uint16_t code, const std::string& v) {
            if (code == 2 && v.size() == 4) p.flags = u32(v, 0);
          }))
        return std::nullopt;
      out.packets.push_back(p);
    }
    off += len;
  }
  if (first || off != s.size()) return std::nullopt;
  return out;
}

} // namespace nltest
