#pragma once
#include <netlab/topology/raw.hpp>
#include <netlab/util/error.hpp>

#include <cstddef>
#include <string>

namespace netlab {

/// Largest topology file read (bytes): checked before parsing.
inline constexpr std::size_t k_max_load_bytes = 16 * 1024 * 1024;
/// Most values (scalars, lists, mappings, keys; an alias counts as what it repeats) in one file.
inline constexpr std::size_t k_max_load_values = 1'000'000;
/// Most '[' and '{' characters in one file, wherever they are (see load.cpp: the YAML
/// scanner's memory for unclosed flow collections is bounded before parsing).
inline constexpr std::size_t k_max_load_flow_opens = 500'000;
/// Deepest nesting of lists and mappings.
inline constexpr int k_max_load_depth = 64;

/// Reads and parses a topology file (one YAML document, within the limits above): ARG is a
/// path or a lab's name (resolve_topology() in search.hpp; the result's path is the file
/// found). Errors carry "FILE:LINE:COL: message"
/// (or "FILE: message" when the file cannot be read) and ExitCode::usage.
Expected<RawTopology> load_file(const std::string& arg);

/// Parses YAML text already in memory; `path` only names it in messages. Both then run
/// expand() (expand.hpp): the result is the long-hand file, with origins.
Expected<RawTopology> load_string(const std::string& text, const std::string& path);

} // namespace netlab
