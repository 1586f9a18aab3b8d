// Texts in several languages: which language a reader gets (--lang, then the
// POSIX locale variables), which version of a text is shown, and how the file's
// {en: ..., zh: ...} mappings are read and refused.
#include "unit.hpp"

#include <netlab/util/language.hpp>

#include <string>
#include <vector>

using namespace netlab;
using namespace netlab::test;

namespace {

std::string pick(std::string_view want, std::vector<std::string> have) { return have[best_language(want, have)]; }

} // namespace

TEST_CASE("language: locale values name a language code", "[language]") {
  CHECK(language_of_locale("zh_CN.UTF-8") == "zh-CN");
  CHECK(language_of_locale("zh_CN") == "zh-CN");
  CHECK(language_of_locale("zh") == "zh");
  CHECK(language_of_locale("zh-cn") == "zh-CN");
  CHECK(language_of_locale("de_DE@euro") == "de-DE");
  CHECK(language_of_locale("en_US.utf8") == "en-US");
  CHECK(language_of_locale("es_419.UTF-8") == "es");
  CHECK(language_of_locale("C") == "en");
  CHECK(language_of_locale("C.UTF-8") == "en");
  CHECK(language_of_locale("POSIX") == "en");
  CHECK_FALSE(language_of_locale(""));
  CHECK_FALSE(language_of_locale("chinese"));
  CHECK_FALSE(language_of_locale("z"));
  CHECK_FALSE(language_of_locale("zh_C!"));
  CHECK_FALSE(language_of_locale("/etc/passwd"));
}

TEST_CASE("language: --lang before LC_ALL before LC_MESSAGES before LANG before en", "[language]") {
  const LocaleEnv all{"fr_FR.UTF-8", "de_DE.UTF-8", "zh_CN.UTF-8"};
  CHECK(choose_language(std::string("zh"), all) == "zh");
  CHECK(choose_language(std::nullopt, all) == "fr-FR");
  CHECK(choose_language(std::nullopt, {nullptr, "de_DE.UTF-8", "zh_CN.UTF-8"}) == "de-DE");
  CHECK(choose_language(std::nullopt, {nullptr, nullptr, "zh_CN.UTF-8"}) == "zh-CN");
  CHECK(choose_language(std::nullopt, {}) == "en");
  // An empty value is unset (POSIX); so is one that names no locale.
  CHECK(choose_language(std::nullopt, {"", "", "zh_TW.UTF-8"}) == "zh-TW");
  CHECK(choose_language(std::nullopt, {"??", nullptr, "zh_CN.UTF-8"}) == "zh-CN");
  // C and POSIX are English, and they win over LANG as any LC_ALL does.
  CHECK(choose_language(std::nullopt, {"C", nullptr, "zh_CN.UTF-8"}) == "en");
  CHECK(choose_language(std::nullopt, {nullptr, "POSIX", "zh_CN.UTF-8"}) == "en");
  CHECK(choose_language(std::nullopt, {"C.UTF-8", nullptr, nullptr}) == "en");
}

TEST_CASE("language: the version shown falls back to the language then en then the first", "[language]") {
  CHECK(pick("zh", {"en", "zh"}) == "zh");
  CHECK(pick("zh-CN", {"en", "zh"}) == "zh");
  CHECK(pick("zh-CN", {"en", "zh-TW", "zh-CN"}) == "zh-CN");
  CHECK(pick("zh", {"en", "zh-TW", "zh-CN"}) == "zh-TW"); // the first Chinese one written
  CHECK(pick("zh-TW", {"en", "zh", "zh-TW"}) == "zh-TW");
  CHECK(pick("fr", {"zh", "en"}) == "en");
  CHECK(pick("fr", {"zh", "de"}) == "zh");
  CHECK(pick("en-GB", {"zh", "en"}) == "en");
  CHECK(pick("zh", {""}) == ""); // a plain string, for everyone
}

TEST_CASE("language: file keys are language codes", "[language]") {
  for (const char* good : {"en", "zh", "yue", "zh-CN", "pt-BR"}) {
    INFO(good);
    CHECK_FALSE(language_code_problem(good));
  }
  for (const char* bad : {"", "e", "english", "EN", "zh_CN", "zh-cn", "zh-", "zh-Hans", "z1"}) {
    INFO(bad);
    CHECK(language_code_problem(bad));
  }
  CHECK_THAT(*language_code_problem("zh_CN"), Catch::Contains("(did you mean 'zh-CN'?)"));
  CHECK_THAT(*language_code_problem("EN"), Catch::Contains("(did you mean 'en'?)"));
  CHECK_THAT(*language_code_problem("C"), !Catch::Contains("did you mean"));
}

TEST_CASE("language: message and task and hints in several languages", "[language][validate]") {
  Topology t = parse(R"(
name: two-langs
message:
  en: Two namespaces.
  zh: 两个网络命名空间。
nodes:
  ns1: {}
checks:
  - {from: ns1, ping: 127.0.0.1}
exercises:
  - name: lo
    task: {en: Bring lo up., zh: 把 lo 启用。}
    start: [{node: ns1, lo: down}]
    hints:
      - {en: Look at lo., zh: 看看 lo。}
      - ip link set lo up
)");
  CHECK(t.message.in("zh") == "两个网络命名空间。");
  CHECK(t.message.in("zh-CN") == "两个网络命名空间。");
  CHECK(t.message.in("en") == "Two namespaces.");
  CHECK(t.message.in("fr") == "Two namespaces.");
  CHECK(t.message.language_in("zh-CN") == "zh");
  const Exercise& ex = t.exercises.at(0);
  CHECK(ex.task.in("zh") == "把 lo 启用。");
  REQUIRE(ex.hints.size() == 2);
  CHECK(ex.hints[0].in("zh") == "看看 lo。");
  CHECK(ex.hints[1].in("zh") == "ip link set lo up"); // a plain hint is every language's
  CHECK(ex.hints[1].language_in("zh").empty());
  // Some texts in Chinese and others not: fine, each falls back on its own.
  Topology mixed = parse("name: m\nmessage: {zh: 只有中文}\nnodes:\n  ns1: {}\n");
  CHECK(mixed.message.in("en") == "只有中文");
  CHECK_FALSE(mixed.message.empty());
}

TEST_CASE("language: a bad language mapping is refused at its position", "[language][validate]") {
  CHECK(problems("name: m\nmessage: {}\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:2:10: 'message' is an empty mapping: give the text in at least one language, like {en: ...}"});
  CHECK(problems("name: m\nmessage: [a]\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:2:10: 'message' must be a string or a mapping of languages like {en: ..., zh: ...}, got a list"});
  CHECK(problems("name: m\nmessage:\n  en: hi\n  chinese: ni hao\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:4:3: 'message': 'chinese' is not a language code: a language code is 2 or 3 lowercase letters, "
              "optionally '-' and a 2-letter uppercase region (en, zh, zh-CN)"});
  CHECK(problems("name: m\nmessage: {en: hi, zh_CN: ni hao}\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:2:19: 'message': 'zh_CN' is not a language code: a language code is 2 or 3 lowercase letters, "
              "optionally '-' and a 2-letter uppercase region (en, zh, zh-CN) (did you mean 'zh-CN'?)"});
  CHECK(problems("name: m\nmessage: {en: hi, en: again}\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:2:19: duplicate language 'en' in 'message' (first defined at 2:11)"});
  CHECK(problems("name: m\nmessage: {en: [hi]}\nnodes:\n  ns1: {}\n") ==
        Lines{"t.yaml:2:15: 'message': the 'en' version must be a string, got a list"});
  const std::string lab = "name: m\nnodes:\n  ns1: {}\nchecks:\n  - {from: ns1, ping: 127.0.0.1}\nexercises:\n";
  CHECK(problems(lab + "  - task: {}\n    start: [{node: ns1, lo: down}]\n") ==
        Lines{"t.yaml:7:11: 'task' is an empty mapping: give the text in at least one language, like {en: ...}"});
  CHECK(problems(lab + "  - task: t\n    start: [{node: ns1, lo: down}]\n    hints:\n      - {en: a, ZH: b}\n") ==
        Lines{"t.yaml:10:17: 'hint': 'ZH' is not a language code: a language code is 2 or 3 lowercase letters, "
              "optionally '-' and a 2-letter uppercase region (en, zh, zh-CN) (did you mean 'zh'?)"});
  CHECK(problems(lab + "  - task: t\n    start: [{node: ns1, lo: down}]\n    hints: [[a]]\n") ==
        Lines{"t.yaml:9:13: a hint must be text or a mapping of languages like {en: ..., zh: ...}, got a list"});
}
