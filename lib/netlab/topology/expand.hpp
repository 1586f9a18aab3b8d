#pragma once
// The expansion stage: between load and validate, it turns a compactly written file
// (environment variables, defaults, templates, ranges, address pools) into the
// long-hand RawNode tree the validator reads. docs/topology.md ("Writing a lab
// compactly") is the user's description of every construct.
#include <netlab/topology/raw.hpp>
#include <netlab/util/error.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace netlab {

/// Most values one file may expand to (ranges and templates multiply what is written;
/// the loader's k_max_load_values bounds what is written).
inline constexpr std::size_t k_max_expanded_values = 1'000'000;

/// Looks up an environment variable; the default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Expands `raw` in place of itself: `${VAR}` / `${VAR:-default}` in every scalar;
/// top-level `defaults:`, `templates:` and `pools:` applied and removed; `{a..b}`
/// ranges in node names, mapping keys and list items repeated with `{i}` and integer
/// expressions substituted; `{pool: NAME}` addresses handed out. Every value an
/// expansion made keeps the position of the text that made it and gets an origin
/// (RawTopology::origins) that diagnostics name. Duplicate node names and addresses
/// that an expansion made are reported with both origins. A file using none of this
/// comes back unchanged. Errors: "FILE:LINE:COL: message" lines, ExitCode::usage.
Expected<RawTopology> expand(RawTopology raw, const EnvLookup& env = {});

/// The tree as block-style YAML that loads back to the same values (for `validate --expand`).
std::string to_yaml(const RawNode& root);

} // namespace netlab
