#include <netlab/topology/validate_common.hpp>
#include <netlab/util/language.hpp>
#include <netlab/util/suggest.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

namespace netlab::vdetail {

namespace {

std::string at_text(Mark m) { return std::to_string(m.line) + ":" + std::to_string(m.col); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A character for a message: 'x', or a description of what cannot be shown.
std::string char_text(char c) {
  if (is_space(c)) return "whitespace";
  if (is_control(c)) return "a control character";
  if (static_cast<unsigned char>(c) >= 0x80) return "a non-ASCII character";
  return "'" + std::string(1, c) + "'";
}

std::string join(Keys words, std::string_view sep) {
  std::string out;
  for (auto w : words) out += (out.empty() ? "" : std::string(sep)) + std::string(w);
  return out;
}

// Shared rule of lab and node names: what a path component, an nft table and `ip netns` accept.
std::optional<std::string> simple_name_problem(std::string_view what, std::string_view name, std::size_t max) {
  if (name.empty()) return std::string(what) + " must not be empty";
  if (name.size() > max)
    return std::string(what) + " " + quoted(name) + " is " + std::to_string(name.size()) +
           " characters; at most " + std::to_string(max) + " are allowed";
  if (!is_alnum(name[0])) return std::string(what) + " " + quoted(name) + " must start with a letter or digit";
  auto bad = std::find_if(name.begin(), name.end(), [](char c) { return !is_alnum(c) && c != '_' && c != '.' && c != '-'; });
  if (bad != name.end())
    return std::string(what) + " " + quoted(name) + " contains " + char_text(*bad) +
           "; only letters, digits, '_', '.' and '-' are allowed";
  return std::nullopt;
}

} // namespace

void Diags::error(Mark at, std::string message) {
  if (at.origin != 0 && m_origins && at.origin < m_origins->size()) message += " (" + (*m_origins)[at.origin] + ")";
  m_list.push_back(Diagnostic{m_path, at, std::move(message)});
}

std::vector<Diagnostic> Diags::take_sorted() {
  auto key = [](const Diagnostic& x) { return std::tie(x.mark.line, x.mark.col, x.message); };
  std::stable_sort(m_list.begin(), m_list.end(), [&](const auto& x, const auto& y) { return key(x) < key(y); });
  m_list.erase(std::unique(m_list.begin(), m_list.end(), [&](const auto& x, const auto& y) { return key(x) == key(y); }),
               m_list.end());
  return std::move(m_list);
}

Mark value_mark(const RawNode& key, const RawNode& value) { return value.is_null() ? key.mark : value.mark; }

std::optional<Field> field(const RawNode& map, std::string_view key) {
  for (const auto& [k, v] : map.entries)
    if (k.is_scalar() && k.scalar == key) return Field{key, v, value_mark(k, v), k.mark};
  return std::nullopt;
}

std::string quoted(std::string_view text, std::size_t max) {
  // Escaped so that one diagnostic stays one printable line whatever the file holds.
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + k_hex[c >> 4] + k_hex[c & 0xf];
    else out += static_cast<char>(c);
  }
  return out + (text.size() > max ? "...'" : "'");
}

std::string suggest(std::string_view word, Keys candidates) {
  auto match = closest_match(word, candidates);
  return match ? " (did you mean " + quoted(*match) + "?)" : std::string();
}

std::string describe(const RawNode& n) {
  switch (n.type) {
  case RawNode::Type::scalar: return quoted(n.scalar);
  case RawNode::Type::sequence: return "a list";
  case RawNode::Type::mapping: return "a mapping";
  case RawNode::Type::null: break;
  }
  return "an empty value";
}

std::vector<const std::pair<RawNode, RawNode>*> unique_entries(Diags& d, const RawNode& map, std::string_view noun,
                                                               std::string_view where) {
  std::vector<const std::pair<RawNode, RawNode>*> out;
  std::map<std::string, Mark, std::less<>> first;
  for (const auto& entry : map.entries) {
    const RawNode& k = entry.first;
    if (!k.is_scalar()) {
      d.error(k.mark, std::string(noun) + " names must be plain text, got " + describe(k));
      continue;
    }
    auto [it, inserted] = first.emplace(k.scalar, k.mark);
    if (!inserted) {
      d.error(k.mark, "duplicate " + std::string(noun) + " " + quoted(k.scalar) + std::string(where) +
                          " (first defined at " + at_text(it->second) + ")");
      continue;
    }
    out.push_back(&entry);
  }
  return out;
}

void check_keys(Diags& d, const RawNode& map, Keys allowed) {
  for (const auto* entry : unique_entries(d, map, "key")) {
    const std::string& k = entry->first.scalar;
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    d.error(entry->first.mark, "unknown key " + quoted(k) + suggest(k, allowed));
  }
}

std::optional<std::string> read_string(Diags& d, const Field& f) {
  if (f.value.is_scalar()) return f.value.scalar;
  d.error(f.mark, "'" + std::string(f.key) + "' must be a string, got " + describe(f.value));
  return std::nullopt;
}

std::optional<Text> read_text(Diags& d, const Field& f) {
  const std::string what = "'" + std::string(f.key) + "'";
  if (f.value.is_scalar()) return Text(f.value.scalar);
  if (!f.value.is_mapping()) {
    d.error(f.mark, what + " must be a string or a mapping of languages like {en: ..., zh: ...}, got " +
                        describe(f.value));
    return std::nullopt;
  }
  if (f.value.entries.empty()) {
    d.error(f.mark, what + " is an empty mapping: give the text in at least one language, like {en: ...}");
    return std::nullopt;
  }
  Text text;
  const std::size_t before = d.count();
  for (const auto* entry : unique_entries(d, f.value, "language", " in " + what)) {
    const RawNode& key = entry->first;
    const RawNode& value = entry->second;
    if (auto problem = language_code_problem(key.scalar)) {
      d.error(key.mark, what + ": " + quoted(key.scalar) + " is not a language code: " + *problem);
      continue;
    }
    if (!value.is_scalar()) {
      d.error(value_mark(key, value), what + ": the " + quoted(key.scalar) + " version must be a string, got " +
                                          describe(value));
      continue;
    }
    text.versions.emplace_back(key.scalar, value.scalar);
  }
  if (d.count() != before) return std::nullopt;
  return text;
}

std::optional<int64_t> read_int(Diags& d, const Field& f, int64_t lo, int64_t hi) {
  std::string_view text = f.value.is_scalar() ? std::string_view(f.value.scalar) : std::string_view();
  std::string_view digits = (!text.empty() && text[0] == '-') ? text.substr(1) : text;
  if (!f.value.is_scalar() || digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) {
    d.error(f.mark, "'" + std::string(f.key) + "' must be an integer, got " + describe(f.value));
    return std::nullopt;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || v < lo || v > hi) {
    d.error(f.mark, "'" + std::string(f.key) + "' must be between " + std::to_string(lo) + " and " +
                        std::to_string(hi) + ", got " + (text.size() <= 20 ? std::string(text) : quoted(text)));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(Diags& d, const Field& f) {
  if (f.value.is_scalar()) {
    const std::string& s = f.value.scalar;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  d.error(f.mark, "'" + std::string(f.key) + "' must be true or false, got " + describe(f.value));
  return std::nullopt;
}

std::optional<std::string> read_choice(Diags& d, const Field& f, Keys choices) {
  if (f.value.is_scalar() && std::find(choices.begin(), choices.end(), f.value.scalar) != choices.end())
    return f.value.scalar;
  std::string hint = f.value.is_scalar() ? suggest(f.value.scalar, choices) : "";
  d.error(f.mark, "'" + std::string(f.key) + "' must be one of " + join(choices, ", ") + "; got " +
                      describe(f.value) + hint);
  return std::nullopt;
}

const RawNode* read_mapping(Diags& d, const Field& f) {
  static const RawNode k_empty{RawNode::Type::mapping, {}, {}, {}, {}};
  if (f.value.is_mapping()) return &f.value;
  if (f.value.is_null()) return &k_empty;
  d.error(f.mark, "'" + std::string(f.key) + "' must be a mapping, got " + describe(f.value));
  return nullptr;
}

const RawNode* read_sequence(Diags& d, const Field& f) {
  static const RawNode k_empty{RawNode::Type::sequence, {}, {}, {}, {}};
  if (f.value.is_sequence()) return &f.value;
  if (f.value.is_null()) return &k_empty;
  d.error(f.mark, "'" + std::string(f.key) + "' must be a list, got " + describe(f.value));
  return nullptr;
}

std::optional<std::string> read_ifname(Diags& d, const Field& f) {
  auto name = read_string(d, f);
  if (!name) return std::nullopt;
  if (auto problem = ifname_problem(*name)) {
    d.error(f.mark, "'" + std::string(f.key) + "': " + *problem);
    return std::nullopt;
  }
  return name;
}

std::optional<IpAddr> read_ip(Diags& d, const Field& f) {
  auto text = read_string(d, f);
  if (!text) return std::nullopt;
  auto ip = text->find('\0') == std::string::npos ? IpAddr::parse(*text) : std::nullopt;
  if (!ip) d.error(f.mark, "'" + std::string(f.key) + "' must be an IP address, got " + quoted(*text));
  return ip;
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while ((i = text.find_first_not_of(" \t", i)) != std::string_view::npos) {
    std::size_t end = text.find_first_of(" \t", i);
    words.push_back(text.substr(i, end - i));
    i = end;
  }
  return words;
}

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_decimal(std::string_view text) {
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  auto frac = dot == std::string_view::npos ? std::string_view("0") : text.substr(dot + 1);
  auto digits = [](std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); };
  if (!digits(whole) || !digits(frac)) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::string> ifname_problem(std::string_view name) {
  constexpr std::size_t k_ifname_max = 15; // IFNAMSIZ - 1
  if (name.empty()) return "interface name must not be empty";
  if (name.size() > k_ifname_max)
    return "interface name " + quoted(name) + " is " + std::to_string(name.size()) +
           " bytes; Linux allows at most 15";
  if (name == "." || name == "..") return "interface name " + quoted(name) + " is not allowed";
  if (name.find('/') != std::string_view::npos) return "interface name " + quoted(name) + " must not contain '/'";
  if (name.find(':') != std::string_view::npos) return "interface name " + quoted(name) + " must not contain ':'";
  // The kernel turns a name with '%' into a pattern ("veth%d" becomes veth0, veth1...).
  if (name.find('%') != std::string_view::npos) return "interface name " + quoted(name) + " must not contain '%'";
  if (std::any_of(name.begin(), name.end(), is_space))
    return "interface name " + quoted(name) + " must not contain whitespace";
  if (std::any_of(name.begin(), name.end(), is_control))
    return "interface name " + quoted(name) + " must not contain control characters";
  return std::nullopt;
}

std::optional<std::string> lab_name_problem(std::string_view name) {
  if (auto p = simple_name_problem("lab name", name, 32)) return p;
  if (name.find("..") != std::string_view::npos) return "lab name " + quoted(name) + " must not contain '..'";
  return std::nullopt;
}

std::optional<std::string> node_name_problem(std::string_view name) {
  return simple_name_problem("node name", name, 64);
}

} // namespace netlab::vdetail
