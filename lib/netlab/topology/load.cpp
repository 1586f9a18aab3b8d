// The only file in netlab that includes a YAML parser: libyaml's, the C library.
//
// The file is parsed as a stream of events straight into RawNode values, so
// every limit is checked while reading and the first value past a limit stops
// the parse (a tree built first, as yaml-cpp's YAML::Load does at about 500 bytes
// a value, took 4 GB for a 50 MB file). libyaml's scanner reads the benchmark's
// 5,000-line star-1000 in 4 ms where yaml-cpp's took 21: every command reads the
// file, and the watcher reads it again at every edit.
#include <netlab/topology/load.hpp>

#include <netlab/topology/expand.hpp>
#include <netlab/topology/search.hpp>

#include <yaml.h>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <netlab/util/fd.hpp>

namespace netlab {

const RawNode* RawNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

namespace {

/// A limit of load_string() passed: reported at the value that crossed it.
struct LimitExceeded {
  Mark mark;
  std::string message;
};

Mark mark_of(const yaml_mark_t& m) { return {static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1}; }

/// libyaml's text (it is UTF-8, not NUL-free: a length always comes with it) as a string.
std::string text_of(const yaml_char_t* s, std::size_t n) { return {reinterpret_cast<const char*>(s), n}; }
std::string text_of(const yaml_char_t* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

/// A plain scalar YAML reads as null: empty, `~`, or `null` in its three spellings.
bool is_null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

/// Builds the RawNode tree of the first document from libyaml's events.
class Builder {
public:
  /// The document's root; null for an empty stream.
  RawNode take_root() { return std::move(m_root); }

  /// Takes one event; false at the end of the stream.
  bool take(const yaml_event_t& e) {
    const Mark mark = mark_of(e.start_mark);
    switch (e.type) {
    case YAML_STREAM_END_EVENT: return false;
    case YAML_DOCUMENT_START_EVENT:
      // One file, one topology: a second document would be silently ignored otherwise.
      if (m_documents++ > 0)
        throw LimitExceeded{mark, "a second YAML document ('---'); a topology file holds exactly one"};
      break;
    case YAML_ALIAS_EVENT: alias(mark, text_of(e.data.alias.anchor)); break;
    case YAML_SCALAR_EVENT: {
      const auto& s = e.data.scalar;
      RawNode n;
      n.mark = mark;
      std::string value = text_of(s.value, s.length);
      // A quoted or tagged scalar is a string whatever it says; a quoted "<<" is an ordinary key.
      m_quoted = s.style != YAML_PLAIN_SCALAR_STYLE;
      if (m_quoted || s.tag || !is_null_text(value)) {
        n.type = RawNode::Type::scalar;
        n.scalar = std::move(value);
      }
      spend(1, n.mark);
      finish(std::move(n), text_of(s.anchor), 1);
      break;
    }
    case YAML_SEQUENCE_START_EVENT: open(RawNode::Type::sequence, mark, text_of(e.data.sequence_start.anchor)); break;
    case YAML_MAPPING_START_EVENT: open(RawNode::Type::mapping, mark, text_of(e.data.mapping_start.anchor)); break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: close(); break;
    default: break; // stream start, document end, none
    }
    return true;
  }

private:
  using Entries = std::vector<std::pair<RawNode, RawNode>>;

  /// The entries one `<<` brings into a mapping, and where it stood among the explicit ones.
  struct Merge {
    std::size_t at;
    Entries entries;
  };

  /// An open sequence or mapping, with the key waiting for its value.
  struct Frame {
    RawNode node;
    std::string anchor; ///< "": none
    std::size_t values = 1; ///< in this subtree so far, itself included
    std::optional<RawNode> key;
    bool key_is_merge = false; ///< the waiting key is a plain `<<` (YAML 1.1's merge key)
    std::vector<Merge> merges;
  };

  /// The entries of a `<<` value: a mapping, or a list of mappings (earlier ones
  /// win). A parser leaves merge keys unexpanded; each entry keeps the position
  /// where it was written (under its anchor), so diagnostics point there.
  static Entries merged_entries(RawNode source) {
    auto entries_of = [](RawNode& m) {
      if (!m.is_mapping()) throw LimitExceeded{m.mark, "'<<' merges a mapping or a list of mappings"};
      return std::move(m.entries);
    };
    if (!source.is_sequence()) return entries_of(source);
    Entries out;
    for (auto& m : source.items)
      for (auto& e : entries_of(m)) out.push_back(std::move(e));
    return out;
  }

  /// Puts merged entries where their `<<` stood; a key written in the mapping
  /// itself, or merged before, wins, so a merged key is never a duplicate.
  static void apply_merges(RawNode& map, std::vector<Merge> merges) {
    std::set<std::string> seen;
    for (const auto& [k, v] : map.entries)
      if (k.is_scalar()) seen.insert(k.scalar);
    Entries out;
    std::size_t next = 0;
    for (auto& m : merges) {
      for (; next < m.at; ++next) out.push_back(std::move(map.entries[next]));
      for (auto& e : m.entries)
        if (!e.first.is_scalar() || seen.insert(e.first.scalar).second) out.push_back(std::move(e));
    }
    for (; next < map.entries.size(); ++next) out.push_back(std::move(map.entries[next]));
    map.entries = std::move(out);
  }

  // Every value held in memory costs one unit of the budget, so does every copy an alias makes.
  void spend(std::size_t values, Mark mark) {
    if (values > m_budget)
      throw LimitExceeded{mark, "the file holds more than " + std::to_string(k_max_load_values) +
                                             " values (each alias counting as what it repeats); a topology is far "
                                             "smaller"};
    m_budget -= values;
  }

  void alias(Mark mark, const std::string& anchor) {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end()) {
      bool open = std::ranges::any_of(m_stack, [&](const Frame& f) { return f.anchor == anchor; });
      throw LimitExceeded{mark, open ? "alias to an anchor whose value is not complete here (a value cannot contain itself)"
                                     : "alias *" + anchor + " names no anchor (&" + anchor + ") before it"};
    }
    spend(it->second.second, mark);
    m_quoted = true; // an alias is never the merge key itself
    finish(RawNode(it->second.first), {}, it->second.second);
  }

  void open(RawNode::Type type, Mark mark, std::string anchor) {
    if (m_stack.size() >= static_cast<std::size_t>(k_max_load_depth))
      throw LimitExceeded{mark, "nesting deeper than " + std::to_string(k_max_load_depth) + " levels"};
    spend(1, mark);
    Frame f;
    f.node.type = type;
    f.node.mark = mark;
    f.anchor = std::move(anchor);
    m_stack.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    if (!f.merges.empty()) apply_merges(f.node, std::move(f.merges));
    finish(std::move(f.node), f.anchor, f.values);
  }

  // A complete value: remember it under its anchor, then hand it to its parent.
  void finish(RawNode n, const std::string& anchor, std::size_t values) {
    if (!anchor.empty()) {
      spend(values, n.mark); // the anchor's copy is memory too; a later anchor of the same name replaces it
      m_anchors.insert_or_assign(anchor, std::pair{n, values});
    }
    if (m_stack.empty()) return void(m_root = std::move(n));
    Frame& parent = m_stack.back();
    parent.values += values;
    if (parent.node.is_sequence()) return parent.node.items.push_back(std::move(n));
    if (!parent.key) {
      parent.key_is_merge = n.is_scalar() && n.scalar == "<<" && !m_quoted;
      return void(parent.key = std::move(n));
    }
    if (parent.key_is_merge)
      parent.merges.push_back({parent.node.entries.size(), merged_entries(std::move(n))});
    else
      parent.node.entries.emplace_back(std::move(*parent.key), std::move(n));
    parent.key.reset();
  }

  RawNode m_root;
  std::vector<Frame> m_stack;
  std::map<std::string, std::pair<RawNode, std::size_t>, std::less<>> m_anchors;
  std::size_t m_budget = k_max_load_values;
  int m_documents = 0;
  bool m_quoted = false; ///< the last scalar was quoted
};

std::string at(const std::string& path, Mark m) {
  return path + ":" + std::to_string(m.line) + ":" + std::to_string(m.col) + ": ";
}

std::string mib_text(std::size_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

std::string too_big(std::size_t bytes) {
  return "file is larger than " + mib_text(k_max_load_bytes) + " (" + std::to_string(bytes) +
         " bytes); a topology file may be at most " + mib_text(k_max_load_bytes);
}

/// The line and column of byte `offset` of `text`.
Mark mark_at(const std::string& text, std::size_t offset) {
  Mark m{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) m = text[i] == '\n' ? Mark{m.line + 1, 1} : Mark{m.line, m.col + 1};
  return m;
}

/// Where the text opens its k_max_load_flow_opens + 1st flow collection, if it does.
/// A scanner may hold every token of unclosed nested flow collections ("[[[[...")
/// before the parser (and our depth limit) sees the first: yaml-cpp's took 3.7 GB
/// for 16 MB of '['; libyaml keeps a saved key per level. Counted over the raw
/// bytes, so text in comments and strings counts too: a real topology has a few of
/// these per value.
std::optional<Mark> too_many_flow_opens(const std::string& text) {
  std::size_t opens = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((text[i] == '[' || text[i] == '{') && ++opens > k_max_load_flow_opens) return mark_at(text, i);
  return std::nullopt;
}

/// libyaml's parser over `text` (which must outlive it).
struct Parser {
  yaml_parser_t p{};
  const std::string& text;
  explicit Parser(const std::string& input) : text(input) {
    if (!yaml_parser_initialize(&p)) throw std::bad_alloc();
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  /// "PATH:L:C: not valid YAML: <problem> (<context> at L:C)" for the parse that failed.
  std::string error(const std::string& path) const {
    // The reader (bad UTF-8, a control character) counts bytes, not lines.
    Mark where = p.error == YAML_READER_ERROR ? mark_at(text, p.problem_offset) : mark_of(p.problem_mark);
    std::string out = at(path, where) + "not valid YAML: " + (p.problem ? p.problem : "");
    if (p.context) {
      Mark c = mark_of(p.context_mark);
      out += " (" + std::string(p.context) + " at " + std::to_string(c.line) + ":" + std::to_string(c.col) + ")";
    }
    return out;
  }
};

/// One parsed event, freed when it goes.
struct Event {
  yaml_event_t e{};
  Event() = default;
  ~Event() { yaml_event_delete(&e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

} // namespace

Expected<RawTopology> load_string(const std::string& text, const std::string& path) {
  if (text.size() > k_max_load_bytes) return fail(path + ": " + too_big(text.size()), ExitCode::usage);
  if (auto at_mark = too_many_flow_opens(text))
    return fail(at(path, *at_mark) + "more than " + std::to_string(k_max_load_flow_opens) +
                    " '[' and '{' in the file (flow lists and mappings); a topology has far fewer",
                ExitCode::usage);
  Builder builder;
  Parser parser(text);
  try {
    while (true) {
      Event e;
      if (!yaml_parser_parse(&parser.p, &e.e)) return fail(parser.error(path), ExitCode::usage);
      if (!builder.take(e.e)) break;
    }
  } catch (const LimitExceeded& e) {
    return fail(at(path, e.mark) + e.message, ExitCode::usage);
  }
  RawTopology raw{path, builder.take_root(), {}};
  if (raw.root.is_null()) return fail(path + ": file is empty", ExitCode::usage);
  return expand(std::move(raw));
}

Expected<RawTopology> load_file(const std::string& arg) {
  auto resolved = resolve_topology(arg);
  if (!resolved) return std::unexpected(resolved.error());
  const std::string& path = *resolved;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(path + ": cannot read file: " + errno_text(errno), ExitCode::usage);
  struct stat st {};
  // A directory opens without complaint; only the read would fail, obscurely.
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode))
    return fail(path + ": cannot read file: " + errno_text(EISDIR), ExitCode::usage);
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > k_max_load_bytes)
    return fail(path + ": " + too_big(static_cast<std::size_t>(st.st_size)), ExitCode::usage);
  // Read at most one byte past the limit: a pipe or /dev/zero has no size to check first.
  std::string text;
  char buf[65536];
  while (text.size() <= k_max_load_bytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(path + ": cannot read file: " + errno_text(errno), ExitCode::usage);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  if (text.size() > k_max_load_bytes) return fail(path + ": " + too_big(text.size()), ExitCode::usage);
  return load_string(text, path);
}

} // namespace netlab
