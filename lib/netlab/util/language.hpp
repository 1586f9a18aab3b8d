#pragma once
// Which language a lab's texts are shown in. A file may give `message`, an
// exercise's `task` and `hints` in several languages ({en: ..., zh: ...}); the
// reader's language comes from --lang, else the POSIX locale variables, and
// each text then shows its version closest to it.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace netlab {

/// The language a "C" or "POSIX" locale means, and the first fallback of every text.
inline constexpr std::string_view k_default_language = "en";

/// Why `code` cannot be a language key of a file, or nullopt. A key is a language
/// code of 2 or 3 lowercase letters ("en", "zh", "yue"), optionally followed by '-'
/// and a region of 2 uppercase letters ("zh-CN", "zh-TW", "pt-BR").
std::optional<std::string> language_code_problem(std::string_view code);

/// The language code a locale value or --lang argument names, in the file's form:
/// "zh_CN.UTF-8" and "zh-cn" give "zh-CN", "de_DE@euro" gives "de-DE", "C", "POSIX"
/// and "C.UTF-8" give "en". nullopt when it names none (empty, or not shaped like a
/// locale name: "zh_CN" is language_territory, then .codeset and @modifier).
std::optional<std::string> language_of_locale(std::string_view value);

/// The locale variables that choose the language, in POSIX precedence (nullptr: unset).
struct LocaleEnv {
  const char* lc_all = nullptr;
  const char* lc_messages = nullptr;
  const char* lang = nullptr;
};

/// The reader's language: `flag` (--lang, already checked with language_of_locale)
/// when given, else the first of LC_ALL, LC_MESSAGES and LANG that names one (an
/// empty or malformed value counts as unset), else "en".
std::string choose_language(const std::optional<std::string>& flag, const LocaleEnv& env);

/// Which of `have` (a text's language codes, in file order) is shown to a reader of
/// `want`: the same code; else the same language without a region ("zh" for "zh-CN");
/// else the same language with any region, the first written; else "en"; else the
/// first. `have` must not be empty.
std::size_t best_language(std::string_view want, std::span<const std::string> have);

} // namespace netlab
