#include <netlab/capture/pcapng.hpp>

#include <cstring>

namespace netlab {

namespace {

constexpr uint32_t k_shb = 0x0A0D0D0A;
constexpr uint32_t k_idb = 0x00000001;
constexpr uint32_t k_epb = 0x00000006;
constexpr uint32_t k_byte_order_magic = 0x1A2B3C4D;
constexpr uint16_t k_opt_end = 0, k_if_name = 2, k_if_description = 3, k_if_tsresol = 9, k_epb_flags = 2;

void put(std::string& out, const void* p, size_t n) {
  out.append(static_cast<const char*>(p), n);
}
void put32(std::string& out, uint32_t v) {
  put(out, &v, 4);
}
void put16(std::string& out, uint16_t v) {
  put(out, &v, 2);
}
void pad4(std::string& out) {
  out.append((4 - out.size() % 4) % 4, '\0');
}

void option(std::string& out, uint16_t code, const void* value, size_t len) {
  put16(out, code);
  put16(out, static_cast<uint16_t>(len));
  put(out, value, len);
  pad4(out);
}

/// type, total length, body (padded to 32 bits), total length again.
std::string block(uint32_t type, std::string body) {
  pad4(body);
  const auto total = static_cast<uint32_t>(body.size() + 12);
  std::string out;
  out.reserve(total);
  put32(out, type);
  put32(out, total);
  out += body;
  put32(out, total);
  return out;
}

} // namespace

std::string pcapng_section_header() {
  std::string body;
  put32(body, k_byte_order_magic);
  put16(body, 1); // major
  put16(body, 0); // minor
  const int64_t unknown_length = -1;
  put(body, &unknown_length, 8);
  return block(k_shb, body);
}

std::string pcapng_interface(uint16_t linktype, uint32_t snaplen, const std::string& name,
                             const std::string& description) {
  std::string body;
  put16(body, linktype);
  put16(body, 0); // reserved
  put32(body, snaplen);
  option(body, k_if_name, name.data(), name.size());
  option(body, k_if_description, description.data(), description.size());
  const uint8_t nanoseconds = 9;
  option(body, k_if_tsresol, &nanoseconds, 1);
  option(body, k_opt_end, nullptr, 0);
  return block(k_idb, body);
}

std::string pcapng_packet(uint32_t interface_id, uint64_t ts_ns, std::span<const uint8_t> data, uint32_t orig_len,
                          Direction direction) {
  std::string body;
  body.reserve(data.size() + 40);
  put32(body, interface_id);
  put32(body, static_cast<uint32_t>(ts_ns >> 32));
  put32(body, static_cast<uint32_t>(ts_ns & 0xffffffffu));
  put32(body, static_cast<uint32_t>(data.size()));
  put32(body, orig_len);
  put(body, data.data(), data.size());
  pad4(body);
  if (direction != Direction::unknown) {
    const uint32_t flags = static_cast<uint32_t>(direction);
    option(body, k_epb_flags, &flags, 4);
    option(body, k_opt_end, nullptr, 0);
  }
  return block(k_epb, body);
}

} // namespace netlab
