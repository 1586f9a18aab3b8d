#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace netlab {

/// A position in the source file, 1-based as editors show it.
struct Mark {
  int line = 0;
  int col = 0;
  /// Which expansion made the value (an index into RawTopology::origins; 0: written as is).
  std::uint32_t origin = 0;
  /// Always true: a value is what it says, not where the file says it (an edit
  /// above a node moves its marks, not its meaning; edit_scope compares models so).
  bool operator==(const Mark&) const { return true; }
};

/// One YAML value with its position: the loader's whole output vocabulary.
/// Nothing after the loader sees the YAML parser; the validator walks this tree.
struct RawNode {
  enum class Type { null, scalar, sequence, mapping };
  Type type = Type::null;
  Mark mark;
  std::string scalar;                                   ///< Type::scalar
  std::vector<RawNode> items;                           ///< Type::sequence
  std::vector<std::pair<RawNode, RawNode>> entries;     ///< Type::mapping, in file order

  bool is_scalar() const { return type == Type::scalar; }
  bool is_sequence() const { return type == Type::sequence; }
  bool is_mapping() const { return type == Type::mapping; }
  bool is_null() const { return type == Type::null; }
  /// The value for `key` in a mapping, or nullptr.
  const RawNode* find(std::string_view key) const;
};

/// A loaded but unchecked topology file.
struct RawTopology {
  std::string path; ///< as given by the user; prefixes every diagnostic
  RawNode root;
  /// What each Mark::origin names, e.g. "ns734 from range ns{1..1000}" (see expand.hpp); [0] is unused.
  std::vector<std::string> origins;
};

} // namespace netlab
