// The expansion stage (expand.hpp). Works on RawNode values only: positions are
// copied from the text that produced each value, so the validator's messages point
// at the template, range or default a bad value came from.
#include <netlab/topology/expand.hpp>

#include <netlab/util/ip.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace netlab {

namespace {

/// One problem found while expanding.
struct Problem {
  Mark mark;
  std::string message;
};

/// The value budget ran out: stops the whole expansion.
struct TooBig {
  Mark mark;
};

/// A range being repeated: its text ("{1..5}") and the current value of `i`.
struct Binding {
  std::string text;
  int64_t value;
};
using Bindings = std::vector<Binding>;

// ----- integer expressions: + - * / % ( ) on decimal numbers and `i` -----

class Expr {
public:
  Expr(std::string_view text, std::optional<int64_t> i) : m_text(text), m_i(i) {}

  /// The value, or why there is none.
  std::expected<int64_t, std::string> eval() {
    int64_t v = sum();
    skip();
    if (m_error.empty() && m_pos != m_text.size()) m_error = "unexpected '" + std::string(1, m_text[m_pos]) + "'";
    if (!m_error.empty()) return std::unexpected(m_error);
    return v;
  }

private:
  void skip() {
    while (m_pos < m_text.size() && m_text[m_pos] == ' ')
      ++m_pos;
  }
  bool eat(char c) {
    skip();
    if (m_pos < m_text.size() && m_text[m_pos] == c) return ++m_pos, true;
    return false;
  }
  // Every step is checked: a file's arithmetic must not overflow (UB) however large.
  /// `op` computes into `out` and says whether it overflowed; run before `out` is read.
  template <class Op> int64_t checked_op(Op op, int64_t& out) {
    bool overflowed = op();
    return checked(overflowed, out);
  }

  int64_t checked(bool overflowed, const int64_t& v) {
    if (overflowed && m_error.empty()) m_error = "the value is too large (beyond 64-bit integers)";
    return overflowed ? 0 : v;
  }

  int64_t sum() {
    int64_t v = product();
    while (m_error.empty()) {
      int64_t r = 0, out = 0;
      if (eat('+')) {
        r = product();
        v = checked_op([&] { return __builtin_add_overflow(v, r, &out); }, out);
      } else if (eat('-')) {
        r = product();
        v = checked_op([&] { return __builtin_sub_overflow(v, r, &out); }, out);
      } else {
        break;
      }
    }
    return v;
  }
  int64_t product() {
    int64_t v = factor();
    while (m_error.empty()) {
      char op = eat('*') ? '*' : eat('/') ? '/' : eat('%') ? '%' : 0;
      if (!op) break;
      int64_t r = factor(), out = 0;
      if (op == '*')
        v = checked_op([&] { return __builtin_mul_overflow(v, r, &out); }, out);
      else if (r == 0)
        m_error = "division by zero";
      else if (r == -1) // INT64_MIN / -1 overflows; x % -1 is 0
        v = op == '/' ? checked_op([&] { return __builtin_sub_overflow(int64_t{0}, v, &out); }, out) : 0;
      else
        v = op == '/' ? v / r : v % r;
    }
    return v;
  }
  int64_t factor() {
    if (eat('-')) {
      int64_t v = factor(), out = 0;
      return checked_op([&] { return __builtin_sub_overflow(int64_t{0}, v, &out); }, out);
    }
    if (eat('(')) {
      int64_t v = sum();
      if (!eat(')') && m_error.empty()) m_error = "missing ')'";
      return v;
    }
    skip();
    if (eat('i')) {
      if (!m_i) m_error = "'i' outside a range (a range such as ns{1..5} in a name or list item defines it)";
      return m_i.value_or(0);
    }
    int64_t v = 0;
    std::size_t start = m_pos;
    while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9' && m_pos - start < 15)
      v = v * 10 + (m_text[m_pos++] - '0');
    if (m_pos == start && m_error.empty()) m_error = "expected a number, 'i' or '('";
    return v;
  }

  std::string_view m_text;
  std::optional<int64_t> m_i;
  std::size_t m_pos = 0;
  std::string m_error;
};

// ----- braces in scalars -----

/// One `{...}` in a scalar: its place and what it holds.
struct Brace {
  std::size_t begin, end; ///< [begin, end) covers the braces
  std::string_view inner;
  bool range() const { return inner.find("..") != std::string_view::npos; }
};

bool expression_chars(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(c >= '0' && c <= '9') && !std::string_view("i+-*/%() .").contains(c)) return false;
  return true;
}

/// The `{...}` groups that are ranges or expressions; any other braces are text.
std::vector<Brace> braces_of(std::string_view s) {
  std::vector<Brace> out;
  for (std::size_t at = s.find('{'); at != std::string_view::npos; at = s.find('{', at + 1)) {
    std::size_t close = s.find_first_of("{}", at + 1);
    if (close == std::string_view::npos || s[close] != '}') continue;
    std::string_view inner = s.substr(at + 1, close - at - 1);
    if (expression_chars(inner)) out.push_back({at, close + 1, inner});
  }
  return out;
}

bool is_bound(const Bindings& b, std::string_view text) {
  for (const auto& x : b)
    if (x.text == text) return true;
  return false;
}

/// The first range in `s` that is not already being repeated.
std::optional<std::string> unbound_range(std::string_view s, const Bindings& b) {
  for (const auto& br : braces_of(s)) {
    std::string text(s.substr(br.begin, br.end - br.begin));
    if (br.range() && !is_bound(b, text)) return text;
  }
  return std::nullopt;
}

/// The first unbound range in a list item: in its scalar values, depth first (a
/// mapping key holding a range repeats its own entry instead). Also returns the
/// scalar it is in, which names the expansion.
std::optional<std::pair<std::string, std::string>> item_range(const RawNode& n, const Bindings& b) {
  if (n.is_scalar()) {
    if (auto r = unbound_range(n.scalar, b)) return std::pair{*r, n.scalar};
    return std::nullopt;
  }
  for (const auto& item : n.items)
    if (auto r = item_range(item, b)) return r;
  for (const auto& [k, v] : n.entries) {
    if (k.is_scalar() && unbound_range(k.scalar, b)) continue;
    if (auto r = item_range(v, b)) return r;
  }
  return std::nullopt;
}

std::string at_text(Mark m) {
  return std::to_string(m.line) + ":" + std::to_string(m.col);
}

std::string quote(std::string_view s) {
  return "'" + std::string(s.substr(0, 60)) + (s.size() > 60 ? "...'" : "'");
}

// ----- the expander -----

class Expander {
public:
  Expander(RawTopology& raw, const EnvLookup& env) : m_raw(raw), m_env(env) {
    if (m_raw.origins.empty()) m_raw.origins.emplace_back();
  }

  std::vector<Problem> problems;

  void run() {
    RawNode& root = m_raw.root;
    if (!root.is_mapping()) return;
    substitute_env(root);
    take_sections(root);
    for (auto& [k, v] : root.entries) {
      if (!k.is_scalar()) continue;
      if (k.scalar == "nodes" && v.is_mapping())
        v = expand_nodes(std::move(v));
      else if (k.scalar == "links" && v.is_sequence())
        v = expand_links(std::move(v));
      else if (k.scalar == "checks" && v.is_sequence())
        v = expand_tree(std::move(v), {}, 0);
    }
    if (auto* nodes = find_mut(root, "nodes"); nodes && nodes->is_mapping()) {
      check_node_names(*nodes);
      assign_addresses(*nodes);
    }
  }

private:
  void problem(Mark m, std::string message) {
    if (m.origin != 0) message += " (" + m_raw.origins[m.origin] + ")";
    problems.push_back({m, std::move(message)});
  }

  static RawNode* find_mut(RawNode& map, std::string_view key) {
    for (auto& [k, v] : map.entries)
      if (k.is_scalar() && k.scalar == key) return &v;
    return nullptr;
  }

  std::uint32_t new_origin(std::string text, std::uint32_t outer) {
    if (outer != 0) text = m_raw.origins[outer] + ", " + text;
    m_raw.origins.push_back(std::move(text));
    return static_cast<std::uint32_t>(m_raw.origins.size() - 1);
  }

  void spend(Mark m, std::size_t n = 1) {
    m_values += n;
    if (m_values > k_max_expanded_values) throw TooBig{m};
  }

  static std::size_t count_values(const RawNode& n) {
    std::size_t c = 1;
    for (const auto& item : n.items)
      c += count_values(item);
    for (const auto& [k, v] : n.entries)
      c += 1 + count_values(v);
    return c;
  }

  /// A template or the defaults copied into one more node: memory the budget counts.
  void spend_copy(const RawNode& settings) {
    auto [it, fresh] = m_sizes.try_emplace(&settings, 0);
    if (fresh) it->second = count_values(settings);
    spend(settings.mark, it->second);
  }

  // ----- ${VAR} -----

  std::optional<std::string> lookup(const std::string& name) const {
    if (m_env) return m_env(name);
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  }

  void substitute_env(RawNode& n) {
    if (n.is_scalar() && n.scalar.find('$') != std::string::npos) n.scalar = env_text(n.scalar, n.mark);
    for (auto& item : n.items)
      substitute_env(item);
    for (auto& [k, v] : n.entries) {
      substitute_env(k);
      substitute_env(v);
    }
  }

  std::string env_text(const std::string& s, Mark mark) {
    std::string out;
    for (std::size_t at = 0; at < s.size();) {
      std::size_t dollar = s.find("${", at);
      if (dollar == std::string::npos) return out + s.substr(at);
      if (dollar > 0 && s[dollar - 1] == '$') { // "$${" is a literal "${"
        out += s.substr(at, dollar - at - 1) + "${";
        at = dollar + 2;
        continue;
      }
      out += s.substr(at, dollar - at);
      std::size_t close = s.find('}', dollar);
      if (close == std::string::npos) {
        problem(mark, "'${' without a closing '}' in " + quote(s));
        return s;
      }
      std::string body = s.substr(dollar + 2, close - dollar - 2);
      std::size_t sep = body.find(":-");
      std::string name = body.substr(0, sep);
      bool good = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
      for (char c : name)
        good = good && (c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
      if (!good) {
        problem(mark, "'${" + body + "}' does not name an environment variable (letters, digits and '_')");
        return s;
      }
      auto value = lookup(name);
      if (!value || (value->empty() && sep != std::string::npos)) {
        if (sep == std::string::npos) {
          problem(mark,
                  "environment variable '" + name + "' is not set (write ${" + name + ":-default} to give a default)");
          return s;
        }
        value = body.substr(sep + 2);
      }
      out += *value;
      at = close + 1;
    }
    return out;
  }

  // ----- defaults and templates -----

  void take_sections(RawNode& root) {
    std::vector<std::pair<RawNode, RawNode>> kept;
    for (auto& e : root.entries) {
      const std::string& k = e.first.scalar;
      if (k == "defaults")
        read_defaults(e.second);
      else if (k == "templates")
        read_templates(e.second);
      else if (k == "pools")
        read_pools(e.second);
      else
        kept.push_back(std::move(e));
    }
    root.entries = std::move(kept);
  }

  void read_defaults(const RawNode& d) {
    if (d.is_null()) return;
    if (!d.is_mapping()) return problem(d.mark, "'defaults' must be a mapping with 'node' and/or 'link'");
    for (const auto& [k, v] : d.entries) {
      if (k.scalar != "node" && k.scalar != "link")
        problem(k.mark, "unknown key '" + k.scalar + "' in 'defaults' (it holds 'node' and 'link')");
      else if (!v.is_mapping() && !v.is_null())
        problem(v.mark, "'defaults." + k.scalar + "' must be a mapping of settings");
      else
        (k.scalar == "node" ? m_node_defaults : m_link_defaults) = v;
    }
  }

  void read_templates(const RawNode& t) {
    if (t.is_null()) return;
    if (!t.is_mapping()) return problem(t.mark, "'templates' must be a mapping of template names to settings");
    for (const auto& [k, v] : t.entries) {
      if (!v.is_mapping())
        problem(v.mark, "template '" + k.scalar + "' must be a mapping of settings");
      else if (!m_templates.emplace(k.scalar, v).second)
        problem(k.mark, "duplicate template '" + k.scalar + "'");
    }
  }

  /// `over` on top of `base`: mappings merge key by key (recursively), anything else is replaced.
  static RawNode merge(const RawNode& base, const RawNode& over) {
    if (over.is_null()) {
      RawNode out = base;
      out.mark = over.mark;
      return out;
    }
    if (!base.is_mapping() || !over.is_mapping()) return over;
    RawNode out = over;
    for (auto& [k, v] : out.entries)
      if (const RawNode* b = base.find(k.scalar); b && b->is_mapping() && v.is_mapping()) v = merge(*b, v);
    for (const auto& e : base.entries)
      if (!over.find(e.first.scalar)) out.entries.push_back(e);
    return out;
  }

  /// The entry's settings after its template and the section's defaults; `applied`
  /// names the template, if one was used.
  RawNode inherit(RawNode value, const std::optional<RawNode>& defaults, bool is_node, std::string& applied) {
    RawNode v = std::move(value);
    if (!is_node && v.is_sequence() && defaults) { // a short-form link takes defaults in long form
      RawNode long_form;
      long_form.type = RawNode::Type::mapping;
      long_form.mark = v.mark;
      RawNode key;
      key.type = RawNode::Type::scalar;
      key.mark = v.mark;
      key.scalar = "endpoints";
      long_form.entries.emplace_back(std::move(key), std::move(v));
      v = std::move(long_form);
    }
    if (v.is_mapping()) {
      for (std::size_t at = 0; at < v.entries.size(); ++at) {
        if (v.entries[at].first.scalar != "template") continue;
        RawNode name = v.entries[at].second;
        v.entries.erase(v.entries.begin() + static_cast<std::ptrdiff_t>(at));
        auto t = name.is_scalar() ? m_templates.find(name.scalar) : m_templates.end();
        if (t == m_templates.end()) {
          std::string known;
          for (const auto& [n, _] : m_templates)
            known += (known.empty() ? "" : ", ") + n;
          problem(name.mark, "'template' names no template: " + quote(name.scalar) +
                                 (known.empty() ? " (the file has no 'templates:')" : " (templates: " + known + ")"));
        } else {
          applied = name.scalar;
          spend_copy(t->second);
          v = merge(t->second, v);
        }
        break;
      }
    }
    if (defaults && (!is_node || !unmanaged(v))) {
      spend_copy(*defaults);
      v = merge(*defaults, v);
    }
    return v;
  }

  /// Nodes netlab does not create (the host namespace, an external one) take no defaults.
  static bool unmanaged(const RawNode& node) {
    const RawNode* kind = node.is_mapping() ? node.find("kind") : nullptr;
    return kind && kind->is_scalar() && (kind->scalar == "host" || kind->scalar == "external");
  }

  // ----- ranges -----

  RawNode expand_nodes(RawNode nodes) {
    RawNode out;
    out.type = RawNode::Type::mapping;
    out.mark = nodes.mark;
    Bindings none;
    for (auto& [k, v] : nodes.entries) {
      std::string tmpl;
      RawNode value = inherit(std::move(v), m_node_defaults, true, tmpl);
      const bool ranged = k.is_scalar() && unbound_range(k.scalar, none);
      std::uint32_t origin = 0;
      if (!tmpl.empty() && !ranged) origin = new_origin(k.scalar + " from template '" + tmpl + "'", 0);
      if (ranged) expand_entry(out, k, value, none, origin, tmpl);
      else out.entries.emplace_back(expand_tree(k, none, origin), expand_tree(std::move(value), none, origin));
    }
    return out;
  }

  RawNode expand_links(RawNode links) {
    for (auto& item : links.items) {
      std::string tmpl;
      item = inherit(std::move(item), m_link_defaults, false, tmpl);
    }
    return expand_tree(std::move(links), {}, 0);
  }

  /// Holds no range or expression: expanding it only counts it and stamps the origin.
  static bool is_plain(const RawNode& n) {
    if (n.is_scalar() && n.scalar.find('{') != std::string::npos) return false;
    for (const auto& item : n.items)
      if (!is_plain(item)) return false;
    for (const auto& [k, v] : n.entries)
      if (!is_plain(k) || !is_plain(v)) return false;
    return true;
  }

  static void stamp(RawNode& n, std::uint32_t origin) {
    n.mark.origin = origin;
    for (auto& item : n.items)
      stamp(item, origin);
    for (auto& [k, v] : n.entries) {
      stamp(k, origin);
      stamp(v, origin);
    }
  }

  /// expand_tree of a value the caller gives up: a plain one (a long-hand file is
  /// all plain) is moved, not copied value by value.
  RawNode expand_tree(RawNode&& in, const Bindings& b, std::uint32_t origin) {
    if (!is_plain(in)) return expand_tree(static_cast<const RawNode&>(in), b, origin);
    spend(in.mark, count_values(in));
    if (origin != 0) stamp(in, origin);
    return std::move(in);
  }

  /// Adds `key: value` to `out`, repeated once per value when the key holds a range.
  void expand_entry(RawNode& out, const RawNode& key, const RawNode& value, Bindings& b, std::uint32_t origin,
                    const std::string& tmpl = {}) {
    auto range = key.is_scalar() ? unbound_range(key.scalar, b) : std::nullopt;
    if (!range) return void(out.entries.emplace_back(expand_tree(key, b, origin), expand_tree(value, b, origin)));
    repeat(*range, key.mark, b, [&](int64_t) {
      RawNode k = expand_tree(key, b, origin);
      std::string what = k.scalar + " from range " + key.scalar + (tmpl.empty() ? "" : ", template '" + tmpl + "'");
      std::uint32_t o = new_origin(std::move(what), origin);
      k.mark.origin = o;
      out.entries.emplace_back(std::move(k), expand_tree(value, b, o));
    });
  }

  /// Calls `body` once per value of `range` ("{lo..hi}") with it bound.
  template <class F> void repeat(const std::string& range, Mark mark, Bindings& b, F body) {
    std::string inner = range.substr(1, range.size() - 2);
    std::size_t dots = inner.find("..");
    std::optional<int64_t> outer = b.empty() ? std::nullopt : std::optional(b.back().value);
    auto lo = Expr(std::string_view(inner).substr(0, dots), outer).eval();
    auto hi = Expr(std::string_view(inner).substr(dots + 2), outer).eval();
    if (!lo || !hi) return problem(mark, "range " + range + ": " + (!lo ? lo.error() : hi.error()));
    if (*hi < *lo)
      return problem(mark, "range " + range + " ends before it starts (" + std::to_string(*lo) + " > " +
                               std::to_string(*hi) + ")");
    int64_t span = 0;
    if (__builtin_sub_overflow(*hi, *lo, &span) || static_cast<uint64_t>(span) >= k_max_expanded_values)
      return problem(mark, "range " + range + " repeats more than " + std::to_string(k_max_expanded_values) + " times");
    b.push_back({range, 0});
    for (int64_t i = *lo; i <= *hi; ++i) {
      b.back().value = i;
      body(i);
    }
    b.pop_back();
  }

  /// A copy of `in` with ranges repeated and `{expressions}` replaced; every value
  /// gets `origin` (the expansion it belongs to).
  RawNode expand_tree(const RawNode& in, Bindings b, std::uint32_t origin) {
    spend(in.mark);
    RawNode out;
    out.type = in.type;
    out.mark = in.mark;
    if (origin != 0) out.mark.origin = origin;
    if (in.is_scalar()) out.scalar = substitute(in.scalar, out.mark, b);
    for (const auto& item : in.items) {
      auto range = item_range(item, b);
      if (!range) {
        out.items.push_back(expand_tree(item, b, origin));
        continue;
      }
      repeat(range->first, item.mark, b, [&](int64_t i) {
        std::uint32_t o = new_origin("i=" + std::to_string(i) + " of range " + quote(range->second), origin);
        out.items.push_back(expand_tree(item, b, o));
      });
    }
    for (const auto& [k, v] : in.entries)
      expand_entry(out, k, v, b, origin);
    return out;
  }

  /// The scalar with bound ranges replaced by their value and expressions by theirs.
  std::string substitute(const std::string& s, Mark mark, const Bindings& b) {
    auto braces = braces_of(s);
    if (braces.empty()) return s;
    std::optional<int64_t> i = b.empty() ? std::nullopt : std::optional(b.back().value);
    std::string out;
    std::size_t at = 0;
    for (const auto& br : braces) {
      out += s.substr(at, br.begin - at);
      at = br.end;
      std::string text = s.substr(br.begin, br.end - br.begin);
      if (br.range()) {
        auto it = std::find_if(b.rbegin(), b.rend(), [&](const Binding& x) { return x.text == text; });
        if (it != b.rend()) {
          out += std::to_string(it->value);
          continue;
        }
        problem(
            mark,
            "range " + text + " in " + quote(s) +
                " repeats nothing here: a range belongs in a mapping key (a node or interface name) or a list item");
        return s;
      }
      auto v = Expr(br.inner, i).eval();
      if (!v) {
        problem(mark, "in " + quote(s) + ": " + text + ": " + v.error());
        return s;
      }
      out += std::to_string(*v);
    }
    return out + s.substr(at);
  }

  // ----- after expansion: names, addresses, pools -----

  void check_node_names(const RawNode& nodes) {
    std::map<std::string, Mark> seen;
    for (const auto& [k, v] : nodes.entries) {
      if (!k.is_scalar()) continue;
      auto [it, fresh] = seen.emplace(k.scalar, k.mark);
      if (fresh || (k.mark.origin == 0 && it->second.origin == 0)) continue; // the validator reports plain repeats
      problem(k.mark, "duplicate node '" + k.scalar + "' (first defined at " + at_text(it->second) +
                          origin_suffix(it->second) + ")");
    }
  }

  std::string origin_suffix(Mark m) const { return m.origin ? ", " + m_raw.origins[m.origin] : ""; }

  /// A pool: its network and the next host to try.
  struct Pool {
    Cidr net;
    uint64_t next = 1;
  };

  void read_pools(const RawNode& p) {
    if (p.is_null()) return;
    if (!p.is_mapping())
      return problem(p.mark, "'pools' must be a mapping of pool names to prefixes (lan: 10.0.0.0/16)");
    for (const auto& [k, v] : p.entries) {
      auto net = v.is_scalar() ? Cidr::parse(v.scalar) : std::nullopt;
      if (!net) {
        problem(v.mark, "pool '" + k.scalar + "' must be a prefix such as 10.0.0.0/16, got " + quote(v.scalar));
        m_bad_pools.insert(k.scalar); // its users are not reported again
      } else if (!m_pools.emplace(k.scalar, Pool{net->network()}).second)
        problem(k.mark, "duplicate pool '" + k.scalar + "'");
    }
  }

  /// Every `addresses:` list of every interface of every node, with the node's name.
  template <class F> static void for_each_address_list(RawNode& nodes, F f) {
    for (auto& [name, node] : nodes.entries) {
      RawNode* ifaces = node.is_mapping() ? find_mut(node, "interfaces") : nullptr;
      if (!ifaces || !ifaces->is_mapping()) continue;
      for (auto& [_, ifc] : ifaces->entries) {
        RawNode* list = ifc.is_mapping() ? find_mut(ifc, "addresses") : nullptr;
        if (list && list->is_mapping() && list->find("pool")) { // `addresses: {pool: lan}` is a list of one
          RawNode seq;
          seq.type = RawNode::Type::sequence;
          seq.mark = list->mark;
          seq.items.push_back(std::move(*list));
          *list = std::move(seq);
        }
        if (list && list->is_sequence()) f(name.scalar, *list);
      }
    }
  }

  void assign_addresses(RawNode& nodes) {
    struct Use {
      std::string node;
      Mark mark;
    };
    std::map<IpAddr, Use> used;
    for_each_address_list(nodes, [&](const std::string& node, RawNode& list) {
      for (const auto& item : list.items) {
        auto cidr = item.is_scalar() ? Cidr::parse(item.scalar) : std::nullopt;
        if (!cidr) continue; // the validator reports it
        auto [it, fresh] = used.emplace(cidr->addr, Use{node, item.mark});
        if (fresh || it->second.node == node || (item.mark.origin == 0 && it->second.mark.origin == 0)) continue;
        problem(item.mark, node + ": address " + item.scalar + " already used by " + it->second.node + " (at " +
                               at_text(it->second.mark) + origin_suffix(it->second.mark) + ")");
      }
    });
    for_each_address_list(nodes, [&](const std::string& node, RawNode& list) {
      for (auto& item : list.items)
        if (item.is_mapping()) take_from_pool(node, item, used);
    });
  }

  template <class Used> void take_from_pool(const std::string& node, RawNode& item, Used& used) {
    const RawNode* name = item.find("pool");
    if (!name || item.entries.size() != 1) return; // not a pool request: the validator reports it
    auto p = name->is_scalar() ? m_pools.find(name->scalar) : m_pools.end();
    if (p == m_pools.end() && m_bad_pools.contains(name->scalar)) return;
    if (p == m_pools.end())
      return problem(name->mark, "'pool' names no pool: " + quote(name->scalar) + " (declare it under 'pools:')");
    Pool& pool = p->second;
    int host_bits = pool.net.addr.bits() - pool.net.prefix;
    // Offsets past 2^63 (a huge IPv6 pool) are never reached: the value budget ends first.
    uint64_t size = host_bits >= 63 ? uint64_t{1} << 63 : uint64_t{1} << host_bits;
    // IPv4 keeps the network and broadcast addresses back (a /31 or /32 has none); IPv6 the subnet-router anycast.
    bool v4 = pool.net.addr.family == Family::v4;
    uint64_t first = (v4 && host_bits <= 1) ? 0 : 1;
    uint64_t last = (v4 && host_bits > 1) ? size - 2 : size - 1;
    pool.next = std::max(pool.next, first);
    for (; pool.next <= last && pool.next >= first; ++pool.next) {
      IpAddr a = add(pool.net.addr, pool.next);
      if (used.contains(a)) continue;
      ++pool.next;
      Mark mark = item.mark;
      item = RawNode{};
      item.type = RawNode::Type::scalar;
      item.mark = mark;
      item.scalar = Cidr{a, pool.net.prefix}.str();
      used.emplace(a, typename Used::mapped_type{node, mark});
      return;
    }
    problem(item.mark, node + ": pool '" + p->first + "' (" + pool.net.str() + ") has no address left");
  }

  static IpAddr add(IpAddr base, uint64_t offset) {
    for (int at = base.byte_len() - 1; at >= 0 && offset != 0; --at) {
      unsigned sum = base.bytes[at] + static_cast<unsigned>(offset & 0xff);
      base.bytes[at] = static_cast<uint8_t>(sum);
      offset = (offset >> 8) + (sum >> 8);
    }
    return base;
  }

  RawTopology& m_raw;
  const EnvLookup& m_env;
  std::optional<RawNode> m_node_defaults, m_link_defaults;
  std::map<std::string, RawNode> m_templates;
  std::map<std::string, Pool> m_pools;
  std::set<std::string> m_bad_pools;
  std::size_t m_values = 0;
  std::map<const RawNode*, std::size_t> m_sizes; ///< count_values() of each template and default
};

// ----- YAML out -----

bool plain_ok(std::string_view s) {
  if (s.empty() || s.back() == ':') return false;
  char c0 = s[0];
  if (!((c0 >= '0' && c0 <= '9') || (c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z'))) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          std::string_view("_./:@+%-").contains(c)))
      return false;
  static const std::set<std::string_view> k_words{"null", "Null", "NULL"};
  return !k_words.contains(s);
}

std::string scalar_text(std::string_view s) {
  if (plain_ok(s)) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += std::string("\\x") + k_hex[(c >> 4) & 0xf] + k_hex[c & 0xf];
    } else
      out += c;
  }
  return out + "\"";
}

std::string flow(const RawNode& n) {
  if (n.is_null()) return "~";
  if (n.is_scalar()) return scalar_text(n.scalar);
  std::string out = n.is_sequence() ? "[" : "{";
  bool first = true;
  for (const auto& item : n.items)
    out += (std::exchange(first, false) ? "" : ", ") + flow(item);
  for (const auto& [k, v] : n.entries)
    out += (std::exchange(first, false) ? "" : ", ") + flow(k) + ": " + flow(v);
  return out + (n.is_sequence() ? "]" : "}");
}

bool small(const RawNode& n) {
  if (!n.is_sequence() && !n.is_mapping()) return true;
  return flow(n).size() <= 72;
}

void block(const RawNode& n, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (n.is_mapping()) {
    for (const auto& [k, v] : n.entries) {
      out += pad + flow(k) + ":";
      if (small(v))
        out += " " + flow(v) + "\n";
      else {
        out += "\n";
        block(v, indent + 2, out);
      }
    }
  } else if (n.is_sequence()) {
    for (const auto& item : n.items) {
      if (small(item) || item.is_sequence()) {
        out += pad + "- " + flow(item) + "\n";
        continue;
      }
      std::string inner;
      block(item, indent + 2, inner);
      out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
    }
  } else {
    out += pad + flow(n) + "\n";
  }
}

} // namespace

Expected<RawTopology> expand(RawTopology raw, const EnvLookup& env) {
  Expander x(raw, env);
  try {
    x.run();
  } catch (const TooBig& e) {
    return fail(raw.path + ":" + at_text(e.mark) + ": the file expands to more than " +
                    std::to_string(k_max_expanded_values) + " values; a topology is far smaller",
                ExitCode::usage);
  }
  if (x.problems.empty()) return raw;
  std::stable_sort(x.problems.begin(), x.problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.mark.line, a.mark.col) < std::tie(b.mark.line, b.mark.col);
  });
  std::string text;
  for (const auto& p : x.problems)
    text += (text.empty() ? "" : "\n") + raw.path + ":" + at_text(p.mark) + ": " + p.message;
  return fail(text, ExitCode::usage);
}

std::string to_yaml(const RawNode& root) {
  std::string out;
  block(root, 0, out);
  return out;
}

} // namespace netlab
