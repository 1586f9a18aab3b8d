#include <netlab/util/language.hpp>

#include <algorithm>
#include <vector>

namespace netlab {

namespace {

bool lower_letter(char c) { return c >= 'a' && c <= 'z'; }
bool upper_letter(char c) { return c >= 'A' && c <= 'Z'; }
bool letter(char c) { return lower_letter(c) || upper_letter(c); }
char to_lower(char c) { return upper_letter(c) ? static_cast<char>(c - 'A' + 'a') : c; }
char to_upper(char c) { return lower_letter(c) ? static_cast<char>(c - 'a' + 'A') : c; }

/// The language part of a code: "zh" of "zh-CN".
std::string_view primary(std::string_view code) { return code.substr(0, code.find('-')); }

bool all_of(std::string_view s, bool (*pred)(char)) { return std::ranges::all_of(s, pred); }

} // namespace

std::optional<std::string> language_code_problem(std::string_view code) {
  const std::string_view lang = primary(code);
  const bool lang_ok = (lang.size() == 2 || lang.size() == 3) && all_of(lang, lower_letter);
  bool region_ok = true;
  if (code.size() > lang.size()) {
    const std::string_view region = code.substr(lang.size() + 1);
    region_ok = region.size() == 2 && all_of(region, upper_letter);
  }
  if (lang_ok && region_ok) return std::nullopt;
  std::string hint;
  const std::string_view bare = code.substr(0, code.find_first_of(".@"));
  const bool posix = bare == "C" || bare == "POSIX"; // a locale, but not one to suggest as a key
  if (auto as_locale = language_of_locale(code); as_locale && *as_locale != code && !posix)
    hint = " (did you mean '" + *as_locale + "'?)";
  return "a language code is 2 or 3 lowercase letters, optionally '-' and a 2-letter uppercase region "
         "(en, zh, zh-CN)" + hint;
}

std::optional<std::string> language_of_locale(std::string_view value) {
  // language[_territory][.codeset][@modifier] (POSIX); '-' is taken for '_' too, so
  // that --lang zh-CN and the file's keys read the same.
  std::string_view name = value.substr(0, value.find('@'));
  name = name.substr(0, name.find('.'));
  if (name == "C" || name == "POSIX") return std::string(k_default_language);
  const std::size_t sep = name.find_first_of("_-");
  const std::string_view lang = name.substr(0, sep);
  if (lang.size() < 2 || lang.size() > 3 || !all_of(lang, letter)) return std::nullopt;
  std::string code;
  for (char c : lang) code += to_lower(c);
  if (sep == std::string_view::npos) return code;
  const std::string_view region = name.substr(sep + 1);
  if (region.size() == 2 && all_of(region, letter)) {
    code += '-';
    for (char c : region) code += to_upper(c);
    return code;
  }
  // A region the file's keys cannot name (es_419, sr_RS_latin): the language alone.
  if (!region.empty() && std::ranges::all_of(region, [](char c) { return letter(c) || (c >= '0' && c <= '9'); }))
    return code;
  return std::nullopt;
}

std::string choose_language(const std::optional<std::string>& flag, const LocaleEnv& env) {
  if (flag) return *flag;
  for (const char* value : {env.lc_all, env.lc_messages, env.lang})
    if (value)
      if (auto code = language_of_locale(value)) return *code;
  return std::string(k_default_language);
}

std::size_t best_language(std::string_view want, std::span<const std::string> have) {
  auto index_of = [&](auto pred) -> std::optional<std::size_t> {
    auto it = std::ranges::find_if(have, pred);
    if (it == have.end()) return std::nullopt;
    return static_cast<std::size_t>(it - have.begin());
  };
  if (auto i = index_of([&](const std::string& h) { return h == want; })) return *i;
  if (auto i = index_of([&](const std::string& h) { return h == primary(want); })) return *i;
  if (auto i = index_of([&](const std::string& h) { return primary(h) == primary(want); })) return *i;
  if (auto i = index_of([](const std::string& h) { return h == k_default_language; })) return *i;
  return 0;
}

} // namespace netlab
