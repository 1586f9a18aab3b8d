// The only file in netlab that includes yaml-cpp.
#include <netlab/topology/load.hpp>

#include <netlab/topology/search.hpp>

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace netlab {

const RawNode* RawNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k.scalar == key) return &v;
  return nullptr;
}

namespace {

constexpr int k_max_depth = 64; // deeper YAML is not a topology; stops stack exhaustion
// Aliases let a few lines name billions of values ("billion laughs"); no topology is this big.
constexpr std::size_t k_max_values = 1'000'000;

Mark mark_of(const YAML::Node& n) { return {n.Mark().line + 1, n.Mark().column + 1}; }

RawNode convert(const YAML::Node& n, int depth, std::size_t& budget) {
  if (depth > k_max_depth) throw YAML::ParserException(n.Mark(), "nesting deeper than 64 levels");
  if (budget == 0)
    throw YAML::ParserException(n.Mark(), "more than " + std::to_string(k_max_values) + " values once aliases are expanded");
  --budget;
  RawNode out;
  out.mark = mark_of(n);
  switch (n.Type()) {
  case YAML::NodeType::Scalar:
    out.type = RawNode::Type::scalar;
    out.scalar = n.Scalar();
    break;
  case YAML::NodeType::Sequence:
    out.type = RawNode::Type::sequence;
    for (const auto& item : n) out.items.push_back(convert(item, depth + 1, budget));
    break;
  case YAML::NodeType::Map:
    out.type = RawNode::Type::mapping;
    for (const auto& kv : n)
      out.entries.emplace_back(convert(kv.first, depth + 1, budget), convert(kv.second, depth + 1, budget));
    break;
  default:
    out.type = RawNode::Type::null;
  }
  return out;
}

} // namespace

Expected<RawTopology> load_string(const std::string& text, const std::string& path) {
  try {
    YAML::Node root = YAML::Load(text);
    std::size_t budget = k_max_values;
    RawTopology raw{path, convert(root, 0, budget)};
    if (raw.root.is_null()) return fail(path + ": file is empty", ExitCode::usage);
    return raw;
  } catch (const YAML::Exception& e) {
    return fail(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                    ": not valid YAML: " + e.msg,
                ExitCode::usage);
  }
}

Expected<RawTopology> load_file(const std::string& arg) {
  auto resolved = resolve_topology(arg);
  if (!resolved) return std::unexpected(resolved.error());
  const std::string& path = *resolved;
  // An ifstream opens a directory without complaint; only the read would fail, obscurely.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail(path + ": cannot read file: " + errno_text(EISDIR), ExitCode::usage);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path + ": cannot read file: " + errno_text(errno), ExitCode::usage);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(path + ": cannot read file: " + errno_text(errno), ExitCode::usage);
  return load_string(text.str(), path);
}

} // namespace netlab
