#include <netlab/util/escape.hpp>

namespace netlab {

namespace {

void hex_byte(std::string& out, unsigned char c) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += "\\x";
  out += k_hex[c >> 4];
  out += k_hex[c & 0xf];
}

/// Length of the valid UTF-8 sequence at `s` (2..4 bytes) that is not a C1 control, or 0.
std::size_t printable_utf8_length(std::string_view s) {
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  unsigned char c = b(0);
  std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (len == 0 || c > 0xf4) return 0;
  for (std::size_t i = 1; i < len; ++i)
    if (!cont(i)) return 0;
  uint32_t cp = c & (0xff >> (len + 1));
  for (std::size_t i = 1; i < len; ++i)
    cp = (cp << 6) | (b(i) & 0x3f);
  static constexpr uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0; // overlong, surrogate
  if (cp >= 0x80 && cp <= 0x9f) return 0;                                           // C1 control (CSI is 0x9b)
  return len;
}

} // namespace

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (std::size_t len = c >= 0x80 ? printable_utf8_length(text.substr(i)) : 0; len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      hex_byte(out, c);
      ++i;
    }
  }
  return out;
}

} // namespace netlab
