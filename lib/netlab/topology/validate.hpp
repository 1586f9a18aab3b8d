#pragma once
#include <netlab/topology/model.hpp>
#include <netlab/topology/raw.hpp>

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// One problem in a topology file.
struct Diagnostic {
  std::string path;
  Mark mark;
  std::string message;
  /// "FILE:LINE:COL: message"
  std::string str() const;
};

/// Checks a loaded file and resolves it into a Topology. Reports every problem
/// found, not only the first; touches nothing outside memory.
std::expected<Topology, std::vector<Diagnostic>> validate(const RawTopology& raw);

/// load_file() then validate(): the topology, or every problem as "FILE:LINE:COL: message"
/// lines joined by newlines (a file that cannot be read or parsed gives its one message).
std::expected<Topology, std::string> load_and_validate(const std::string& path);

/// Why `name` cannot be a lab name (the file's `name:` rule), or nullopt. Every
/// way a lab name enters (-l, kernel aliases, state dir entries) is checked with
/// it: a lab name becomes a path under /run/netlab and an nft table name. The
/// message quotes the name escaped.
std::optional<std::string> lab_name_problem(std::string_view name);

} // namespace netlab
