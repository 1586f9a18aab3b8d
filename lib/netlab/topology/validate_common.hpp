#pragma once
// Internal to validate(): the diagnostics sink, typed readers of RawNode values
// and the naming rules every section shares. Not a public API.
#include <netlab/topology/raw.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/ip.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netlab::vdetail {

/// Collects every problem found; validate() sorts them once at the end.
class Diags {
public:
  /// `origins`: RawTopology::origins, named after a message whose mark has one.
  explicit Diags(std::string path, const std::vector<std::string>* origins = nullptr)
      : m_path(std::move(path)), m_origins(origins) {}
  /// Records one problem at `at` (the offending value, or key); an expanded value's
  /// message ends with " (ORIGIN)", which expansion made it.
  void error(Mark at, std::string message);
  /// Number of problems so far (lets a section tell whether it added any).
  std::size_t count() const { return m_list.size(); }
  /// All problems, sorted by position, exact duplicates removed.
  std::vector<Diagnostic> take_sorted();

private:
  std::string m_path;
  const std::vector<std::string>* m_origins;
  std::vector<Diagnostic> m_list;
};

/// The key set a mapping accepts.
using Keys = std::span<const std::string_view>;

/// One `key: value` pair, with the mark to blame for a bad value.
struct Field {
  std::string_view key;
  const RawNode& value;
  Mark mark;     ///< the value's position, or the key's when the value is empty
  Mark key_mark; ///< the key's position
};

/// The pair's mark to blame: the key's when the value is empty (nothing was written there).
Mark value_mark(const RawNode& key, const RawNode& value);

/// The first `key` entry of `map`, if present.
std::optional<Field> field(const RawNode& map, std::string_view key);

/// " (did you mean 'x'?)" for the closest of `candidates`, quoted like any user text; or "".
std::string suggest(std::string_view word, Keys candidates);

/// "'abc'" for a scalar, "a mapping", "a list", "an empty value": what a message says it got.
std::string describe(const RawNode& n);

/// Quotes user text for a message: control characters escaped, cut after `max` bytes.
std::string quoted(std::string_view text, std::size_t max = 40);

/// The entries of a name-keyed mapping, first occurrences only. Reports repeated names as
/// "duplicate <noun> 'x'<where> (first defined at L:C)" and keys that are not plain names.
std::vector<const std::pair<RawNode, RawNode>*> unique_entries(Diags& d, const RawNode& map, std::string_view noun,
                                                               std::string_view where = {});

/// Reports keys outside `allowed` (with a suggestion) and repeated keys.
void check_keys(Diags& d, const RawNode& map, Keys allowed);

/// A scalar as text, or a "'key' must be a string" report.
std::optional<std::string> read_string(Diags& d, const Field& f);
/// Text for people: a string, or a mapping of language codes to strings
/// ({en: ..., zh: ...}, language_code_problem's rule); a report for anything else,
/// an empty mapping, a key that is no language code, a repeated key.
std::optional<Text> read_text(Diags& d, const Field& f);
/// An integer in [lo, hi], or a report.
std::optional<int64_t> read_int(Diags& d, const Field& f, int64_t lo, int64_t hi);
/// true/false (any YAML 1.2 capitalisation), or a report.
std::optional<bool> read_bool(Diags& d, const Field& f);
/// One of `choices`, or a report listing them (with a suggestion).
std::optional<std::string> read_choice(Diags& d, const Field& f, Keys choices);
/// A mapping (an empty value counts as an empty one), or nullptr after a report.
const RawNode* read_mapping(Diags& d, const Field& f);
/// A list (an empty value counts as an empty one), or nullptr after a report.
const RawNode* read_sequence(Diags& d, const Field& f);

/// An interface name given as a value (master, parent, dev, out): syntax checked.
std::optional<std::string> read_ifname(Diags& d, const Field& f);
/// An IPv4 or IPv6 address without prefix.
std::optional<IpAddr> read_ip(Diags& d, const Field& f);

/// The words of `text`, split at spaces and tabs.
std::vector<std::string_view> words_of(std::string_view text);
/// Text parsed as a decimal integer without sign, if it is one.
std::optional<uint64_t> parse_unsigned(std::string_view text);
/// Text parsed as "digits[.digits]", if it is one.
std::optional<double> parse_decimal(std::string_view text);

/// Why `name` cannot be a Linux interface name, or nullopt when it can.
std::optional<std::string> ifname_problem(std::string_view name);
/// Why `name` cannot be a lab name, or nullopt.
std::optional<std::string> lab_name_problem(std::string_view name);
/// Why `name` cannot be a node (namespace) name, or nullopt.
std::optional<std::string> node_name_problem(std::string_view name);

} // namespace netlab::vdetail
