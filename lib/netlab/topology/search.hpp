#pragma once
// Where the FILE of a verb is found: a path as given, else a lab's name looked up
// in $NETLAB_PATH, the build tree's topologies/ and the installed share/netlab/topologies.
#include <netlab/util/error.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// What the search directories are computed from: plain values, so the order is unit-testable.
struct SearchInputs {
  std::string netlab_path;           ///< $NETLAB_PATH: directories separated by ':' (empty entries ignored)
  std::filesystem::path exe;         ///< this program's own file (/proc/self/exe)
  std::filesystem::path build_dir;   ///< the build tree this program was compiled in
  std::filesystem::path source_dir;  ///< that build's source tree (its topologies/ hold the shipped labs)
  std::filesystem::path exe_to_labs; ///< the installed labs relative to the exe's directory
  std::filesystem::path labs_dir;    ///< the installed labs under the configured prefix
};

/// The directories searched for a lab given by name, in order, each once: $NETLAB_PATH's
/// entries, SOURCE/topologies when EXE lies inside BUILD, EXE's dir/EXE_TO_LABS, LABS_DIR.
std::vector<std::filesystem::path> topology_search_dirs(const SearchInputs& in);

/// The file ARG names: ARG itself when it exists; else, when ARG is a bare name (no '/'),
/// the first DIR/ARG or DIR/ARG.yaml that is a regular file; nullopt when there is none.
std::optional<std::filesystem::path> find_topology(const std::string& arg,
                                                   const std::vector<std::filesystem::path>& dirs);

/// This process's inputs: $NETLAB_PATH, /proc/self/exe and the paths configured at build time.
SearchInputs process_search_inputs();

/// find_topology() over this process's search dirs. A path not found comes back unchanged
/// (reading it reports why); a bare name not found is an error (ExitCode::usage) naming the dirs.
Expected<std::string> resolve_topology(const std::string& arg);

} // namespace netlab
