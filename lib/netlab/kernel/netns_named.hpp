#pragma once
// Named network namespaces exactly as `ip netns add/del` make them, so that
// `ip netns list` and `ip netns exec` work on what netlab creates.
#include <netlab/util/error.hpp>

#include <functional>
#include <string>
#include <vector>

namespace netlab {

/// Makes /run/netns exist and be a shared mount point (bind-mounting it onto itself if needed).
Expected<void> prepare_netns_dir();

/// Runs a job on some thread after that thread entered a fresh namespace.
using NewNetnsRunner = std::function<Expected<void>(const std::function<Expected<void>()>&)>;

/// Creates the namespace file `path` (must not exist) and bind-mounts a fresh
/// namespace onto it. `inside` runs on the thread that lives in the new
/// namespace (one `run` provides); if it fails, the namespace is removed again.
Expected<void> create_named_netns(const std::string& path, const std::function<Expected<void>()>& inside,
                                  const NewNetnsRunner& run);

/// Detaches the bind mount and removes the file; the namespace dies with its last user.
Expected<void> delete_named_netns(const std::string& path);

/// True when `path` is a plain empty file with no namespace mounted on it: a
/// create or delete interrupted between its two steps (file, bind mount) left it.
bool stale_netns_file(const std::string& path);

/// Entries of /run/netns, sorted; a missing directory is an empty list.
Expected<std::vector<std::string>> list_named_netns();

/// Runs `fn` on a thread inside a throwaway namespace that dies with the thread.
Expected<void> run_in_new_netns(const std::function<Expected<void>()>& fn);

} // namespace netlab
