#pragma once
// The state dir /run/netlab/<lab>/ (tmpfs: gone at reboot, like the namespaces)
// and the lock that serialises netlab runs.
#include <netlab/plan/lab_state.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/fd.hpp>

#include <string>
#include <vector>

namespace netlab {

/// Root of all state dirs.
inline constexpr const char* k_state_root = "/run/netlab";

/// The lab's remembered state, or an empty LabState (lab set) if it has none.
Expected<LabState> load_lab_state(const std::string& lab);

/// Writes state.json atomically (write + rename).
Expected<void> save_lab_state(const LabState& state);

/// Removes the lab's state dir.
Expected<void> remove_lab_state(const std::string& lab);

/// Where the copy of the lab's topology file as last applied lives (it may not exist).
std::string lab_topology_path(const std::string& lab);

/// Writes that copy (`text`: the file's contents), atomically.
Expected<void> save_lab_topology(const std::string& lab, const std::string& text);

/// Labs with a state dir.
std::vector<std::string> list_lab_states();

/// Holds an exclusive flock on /run/netlab/.lock while alive.
class RunLock {
public:
  /// Blocks until no other netlab run holds the lock.
  static Expected<RunLock> acquire();

private:
  explicit RunLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

} // namespace netlab
