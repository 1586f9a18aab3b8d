#include <netlab/capture/summary.hpp>

#include <arpa/inet.h>
#include <cstdio>
#include <ctime>

namespace netlab {

namespace {

/// Bounds-checked big-endian reads over the captured bytes.
struct Bytes {
  std::span<const uint8_t> d;
  bool has(size_t off, size_t n) const { return off + n <= d.size(); }
  uint16_t u16(size_t off) const { return static_cast<uint16_t>(d[off] << 8 | d[off + 1]); }
  Bytes from(size_t off) const { return {off <= d.size() ? d.subspan(off) : std::span<const uint8_t>{}}; }
};

std::string ip_text(int family, const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family, p, buf, sizeof buf);
  return buf;
}

std::string mac_text(const uint8_t* p) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
  return buf;
}

/// "a:port" (IPv4) or "[a]:port" (IPv6).
std::string with_port(int family, const std::string& addr, uint16_t port) {
  return (family == AF_INET6 ? "[" + addr + "]" : addr) + ":" + std::to_string(port);
}

std::string tcp_flags(uint8_t f) {
  std::string s;
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  return "[" + (s.empty() ? std::string("none") : s) + "]";
}

std::string icmp_text(uint8_t type, uint8_t code, Bytes b, bool v6) {
  const bool request = v6 ? type == 128 : type == 8;
  const bool reply = v6 ? type == 129 : type == 0;
  if ((request || reply) && b.has(4, 4))
    return std::string(request ? "echo request" : "echo reply") + " id " + std::to_string(b.u16(4)) + " seq " +
           std::to_string(b.u16(6));
  if (!v6 && type == 3) return "destination unreachable (code " + std::to_string(code) + ")";
  if (!v6 && type == 11) return "time exceeded";
  if (v6 && type == 1) return "destination unreachable (code " + std::to_string(code) + ")";
  if (v6 && type == 3) return "time exceeded";
  if (v6 && (type == 135 || type == 136) && b.has(8, 16))
    return std::string(type == 135 ? "neighbor solicitation, who has " : "neighbor advertisement, tgt is ") +
           ip_text(AF_INET6, &b.d[8]);
  if (v6 && type == 133) return "router solicitation";
  if (v6 && type == 134) return "router advertisement";
  if (v6 && type == 143) return "multicast listener report v2";
  return "type " + std::to_string(type) + " code " + std::to_string(code);
}

/// The transport part after the IP header: protocol name, addresses, details.
std::string transport(int family, uint8_t proto, const std::string& src, const std::string& dst, Bytes l4) {
  const bool v6 = family == AF_INET6;
  if ((proto == 6 || proto == 17) && l4.has(0, 4)) {
    std::string s = std::string(proto == 6 ? "TCP " : "UDP ") + with_port(family, src, l4.u16(0)) + " > " +
                    with_port(family, dst, l4.u16(2));
    if (proto == 6 && l4.has(13, 1)) s += " " + tcp_flags(l4.d[13]);
    if (proto == 17 && l4.has(4, 2)) s += " length " + std::to_string(l4.u16(4) >= 8 ? l4.u16(4) - 8 : 0);
    return s;
  }
  if ((proto == 1 && !v6) || (proto == 58 && v6)) {
    std::string s = std::string(v6 ? "ICMP6 " : "ICMP ") + src + " > " + dst;
    if (!l4.has(0, 2)) return s + " truncated";
    return s + " " + icmp_text(l4.d[0], l4.d[1], l4, v6);
  }
  return std::string(v6 ? "IP6 " : "IP ") + src + " > " + dst + " protocol " + std::to_string(proto);
}

std::string ipv4(Bytes b) {
  if (!b.has(0, 20)) return "IP truncated";
  const size_t ihl = (b.d[0] & 0x0f) * 4u;
  if (ihl < 20 || !b.has(0, ihl)) return "IP bad header";
  const std::string src = ip_text(AF_INET, &b.d[12]), dst = ip_text(AF_INET, &b.d[16]);
  const bool later_fragment = (b.u16(6) & 0x1fff) != 0;
  if (later_fragment) return "IP " + src + " > " + dst + " fragment";
  return transport(AF_INET, b.d[9], src, dst, b.from(ihl));
}

std::string ipv6(Bytes b) {
  if (!b.has(0, 40)) return "IP6 truncated";
  const std::string src = ip_text(AF_INET6, &b.d[8]), dst = ip_text(AF_INET6, &b.d[24]);
  uint8_t next = b.d[6];
  size_t off = 40;
  // Skip hop-by-hop, routing and destination options headers (MLD reports carry hop-by-hop).
  while ((next == 0 || next == 43 || next == 60) && b.has(off, 2)) {
    next = b.d[off];
    off += (b.d[off + 1] + 1u) * 8u;
  }
  return transport(AF_INET6, next, src, dst, b.from(off));
}

std::string arp(Bytes b) {
  // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
  if (!b.has(0, 28) || b.u16(0) != 1 || b.u16(2) != 0x0800) return "ARP";
  const uint16_t op = b.u16(6);
  const std::string sender = ip_text(AF_INET, &b.d[14]), target = ip_text(AF_INET, &b.d[24]);
  if (op == 1) return "ARP who-has " + target + " tell " + sender;
  if (op == 2) return "ARP " + sender + " is-at " + mac_text(&b.d[8]);
  return "ARP op " + std::to_string(op);
}

std::string by_ethertype(uint16_t type, Bytes payload) {
  switch (type) {
  case 0x0800: return ipv4(payload);
  case 0x86dd: return ipv6(payload);
  case 0x0806: return arp(payload);
  default: {
    char buf[48];
    std::snprintf(buf, sizeof buf, "ethertype 0x%04x, %zu bytes", type, payload.d.size());
    return buf;
  }
  }
}

std::string ethernet(Bytes b) {
  if (!b.has(0, 14)) return "ethernet truncated";
  uint16_t type = b.u16(12);
  size_t off = 14;
  std::string vlan;
  while ((type == 0x8100 || type == 0x88a8) && b.has(off, 4)) {
    vlan += "vlan " + std::to_string(b.u16(off) & 0x0fff) + " ";
    type = b.u16(off + 2);
    off += 4;
  }
  return vlan + by_ethertype(type, b.from(off));
}

} // namespace

std::string summarize_packet(uint16_t linktype, std::span<const uint8_t> data) {
  Bytes b{data};
  if (linktype == k_dlt_ethernet) return ethernet(b);
  if (linktype == k_dlt_raw || linktype == k_linktype_raw) {
    if (b.has(0, 1) && (b.d[0] >> 4) == 6) return ipv6(b);
    return ipv4(b);
  }
  return "linktype " + std::to_string(linktype) + ", " + std::to_string(data.size()) + " bytes";
}

std::string_view to_string(Direction d) {
  switch (d) {
  case Direction::in: return "in";
  case Direction::out: return "out";
  case Direction::unknown: break;
  }
  return "-";
}

std::string format_capture_time(uint64_t ts_ns) {
  const auto secs = static_cast<time_t>(ts_ns / 1'000'000'000u);
  struct tm tm {};
  ::localtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(ts_ns % 1'000'000'000u / 1000u));
  return buf;
}

std::string format_packet_line(const std::string& time, const std::string& where, size_t where_width, Direction d,
                               const std::string& summary) {
  std::string line = time + " " + where;
  if (where.size() < where_width) line.append(where_width - where.size(), ' ');
  std::string dir(to_string(d));
  dir.resize(3, ' ');
  return line + " " + dir + " " + summary;
}

} // namespace netlab
