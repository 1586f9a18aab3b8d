// The only file in netlab that includes yaml-cpp.
//
// The file is parsed as a stream of events straight into RawNode values: yaml-cpp's
// own node tree (YAML::Load) costs about 500 bytes per value and is built before
// anything can be counted, so a 50 MB file took 4 GB. Here every limit is checked
// while reading, and the first value past a limit stops the parse.
#include <netlab/topology/load.hpp>

#include <netlab/topology/expand.hpp>
#include <netlab/topology/search.hpp>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <spanstream>
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

Mark mark_of(const YAML::Mark& m) { return {m.line + 1, m.column + 1}; }

/// Builds the RawNode tree of the first document from parser events.
class Builder : public YAML::EventHandler {
public:
  /// The document's root; null for an empty stream.
  RawNode take_root() { return std::move(m_root); }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // One file, one topology: a second document would be silently ignored otherwise.
    if (m_documents++ > 0)
      throw LimitExceeded{mark_of(mark), "a second YAML document ('---'); a topology file holds exactly one"};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    RawNode n;
    n.mark = mark_of(mark);
    spend(1, n.mark);
    finish(std::move(n), anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end()) throw LimitExceeded{mark_of(mark), "alias to an anchor whose value is not complete here (a value cannot contain itself)"};
    spend(it->second.second, mark_of(mark));
    m_quoted = true; // an alias is never the merge key itself
    finish(RawNode(it->second.first), 0, it->second.second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    m_quoted = tag == "!"; // yaml-cpp tags a quoted scalar "!": a quoted "<<" is an ordinary key
    RawNode n;
    n.type = RawNode::Type::scalar;
    n.mark = mark_of(mark);
    n.scalar = value;
    spend(1, n.mark);
    finish(std::move(n), anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(RawNode::Type::sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(RawNode::Type::mapping, mark, anchor);
  }
  void OnMapEnd() override { close(); }

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
    YAML::anchor_t anchor = 0;
    std::size_t values = 1; ///< in this subtree so far, itself included
    std::optional<RawNode> key;
    bool key_is_merge = false; ///< the waiting key is a plain `<<` (YAML 1.1's merge key)
    std::vector<Merge> merges;
  };

  /// The entries of a `<<` value: a mapping, or a list of mappings (earlier ones
  /// win). yaml-cpp leaves merge keys unexpanded; each entry keeps the position
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

  void open(RawNode::Type type, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (m_stack.size() >= static_cast<std::size_t>(k_max_load_depth))
      throw LimitExceeded{mark_of(mark), "nesting deeper than " + std::to_string(k_max_load_depth) + " levels"};
    spend(1, mark_of(mark));
    Frame f;
    f.node.type = type;
    f.node.mark = mark_of(mark);
    f.anchor = anchor;
    m_stack.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    if (!f.merges.empty()) apply_merges(f.node, std::move(f.merges));
    finish(std::move(f.node), f.anchor, f.values);
  }

  // A complete value: remember it under its anchor, then hand it to its parent.
  void finish(RawNode n, YAML::anchor_t anchor, std::size_t values) {
    if (anchor != 0) {
      spend(values, n.mark); // the anchor's copy is memory too
      m_anchors[anchor] = {n, values};
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
  std::map<YAML::anchor_t, std::pair<RawNode, std::size_t>> m_anchors;
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

/// Where the text opens its k_max_load_flow_opens + 1st flow collection, if it does.
/// yaml-cpp's scanner holds every token of unclosed nested flow collections
/// ("[[[[..."), about 230 bytes each, before the parser (and our depth limit) sees
/// the first: 16 MB of '[' took 3.7 GB. Counted over the raw bytes, so text in
/// comments and strings counts too: a real topology has a few of these per value.
std::optional<Mark> too_many_flow_opens(const std::string& text) {
  std::size_t opens = 0;
  Mark at{1, 1};
  for (char c : text) {
    if ((c == '[' || c == '{') && ++opens > k_max_load_flow_opens) return at;
    if (c == '\n') at = {at.line + 1, 1};
    else ++at.col;
  }
  return std::nullopt;
}

} // namespace

Expected<RawTopology> load_string(const std::string& text, const std::string& path) {
  if (text.size() > k_max_load_bytes) return fail(path + ": " + too_big(text.size()), ExitCode::usage);
  if (auto at_mark = too_many_flow_opens(text))
    return fail(at(path, *at_mark) + "more than " + std::to_string(k_max_load_flow_opens) +
                    " '[' and '{' in the file (flow lists and mappings); a topology has far fewer",
                ExitCode::usage);
  Builder builder;
  try {
    std::ispanstream in(std::span<const char>(text.data(), text.size()));
    YAML::Parser parser(in);
    if (parser.HandleNextDocument(builder)) parser.HandleNextDocument(builder); // the second only to refuse it
  } catch (const LimitExceeded& e) {
    return fail(at(path, e.mark) + e.message, ExitCode::usage);
  } catch (const YAML::Exception& e) {
    return fail(at(path, mark_of(e.mark)) + "not valid YAML: " + e.msg, ExitCode::usage);
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
