#pragma once
#include <netlab/topology/raw.hpp>
#include <netlab/util/error.hpp>

#include <string>

namespace netlab {

/// Reads and parses a topology file: ARG is a path or a lab's name (resolve_topology() in
/// search.hpp; the result's path is the file found). Errors carry "FILE:LINE:COL: message"
/// (or "FILE: message" when the file cannot be read) and ExitCode::usage.
Expected<RawTopology> load_file(const std::string& arg);

/// Parses YAML text already in memory; `path` only names it in messages.
Expected<RawTopology> load_string(const std::string& text, const std::string& path);

} // namespace netlab
