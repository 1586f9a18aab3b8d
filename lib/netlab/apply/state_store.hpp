#pragma once
// The state dir /run/netlab/<lab>/ (tmpfs: gone at reboot, like the namespaces)
// and the locks that serialise netlab runs.
//
// Root runs netlab, so nothing here trusts the file system: a lab name is
// checked with the file's rule before it becomes a path (lab_name_problem), the
// root and lab dirs are made 0700 and refused when not owned by this user,
// writable by group or others, or symlinks, and files are opened relative to
// the dir's descriptor without following symlinks.
#include <netlab/plan/lab_state.hpp>
#include <netlab/util/error.hpp>
#include <netlab/util/fd.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// Root of all state dirs.
inline constexpr const char* k_state_root = "/run/netlab";

/// The lab's remembered state, or an empty LabState (lab set) if it has none.
/// Fails (exit 2) for a name that is not a lab name, (exit 1) for an unsafe dir
/// or a state.json that cannot be read or names another lab.
Expected<LabState> load_lab_state(const std::string& lab);

/// Writes state.json (0600) atomically: a fresh tmp file (O_EXCL|O_NOFOLLOW), then rename.
Expected<void> save_lab_state(const LabState& state);

/// Removes the lab's state dir (its files; never follows a symlink).
Expected<void> remove_lab_state(const std::string& lab);

/// A running exercise (`netlab exercise start`), kept beside the lab's state as
/// exercise.json, so it lives and dies with the lab (and with its instance).
struct ExerciseState {
  std::size_t number = 1;     ///< 1-based index into Topology::exercises
  std::string name;           ///< the exercise's name when started (a check against an edited file)
  unsigned attempts = 0;      ///< `exercise check` runs that failed
  bool solved = false;        ///< the latest `exercise check` passed every check
};

/// The lab's running exercise, or nullopt when it runs none.
Expected<std::optional<ExerciseState>> load_exercise_state(const std::string& lab);

/// Writes exercise.json (0600) atomically.
Expected<void> save_exercise_state(const std::string& lab, const ExerciseState& state);

/// Ends exercise mode: removes exercise.json (nothing when there is none).
Expected<void> remove_exercise_state(const std::string& lab);

/// Where the copy of the lab's topology file as last applied lives (it may not exist).
std::string lab_topology_path(const std::string& lab);

/// Writes that copy (`text`: the file's contents), atomically.
Expected<void> save_lab_topology(const std::string& lab, const std::string& text);

/// Labs with a state dir holding state.json. Entries that are not lab names are skipped.
std::vector<std::string> list_lab_states();

/// How a run uses a lab: readers (plan) share the lab lock, writers (up, down) hold it alone.
enum class LockMode { exclusive, shared };

/// How long to wait for a lock someone else holds.
struct LockWait {
  std::optional<std::chrono::milliseconds> limit; ///< nullopt: wait for ever; zero: do not wait
  /// Called once, after 1 s of waiting, with "waiting for the lab lock held by pid N (netlab up LAB)".
  std::function<void(const std::string&)> on_waiting;
};

/// Holds a flock while alive. The lock file holds the holder's pid and command
/// line, so a run that has to wait can name who it waits for.
class RunLock {
public:
  /// The lab's lock, /run/netlab/.locks/<lab>. Fails (exit 1) naming the holder
  /// when `wait` runs out.
  static Expected<RunLock> lab(const std::string& lab, LockMode mode, const LockWait& wait);
  /// The global lock /run/netlab/.lock, held by runs that change the kernel
  /// (host-namespace objects and namespace names are shared by all labs).
  static Expected<RunLock> global(const LockWait& wait);

  /// The lab's watcher lock, /run/netlab/.locks/<lab>#watch ('#' is in no lab name; '@' is, in LAB@INSTANCE),
  /// held by `netlab watch` for as long as it runs. Never waits: fails (exit 1)
  /// naming the pid of the watcher that holds it.
  static Expected<RunLock> watcher(const std::string& lab);

private:
  explicit RunLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

/// "pid N (netlab watch FILE)" when a process other than this one watches `lab`, else nullopt.
std::optional<std::string> lab_watcher(const std::string& lab);

/// Which state.json the lab has now ("" when none): changes with every save, so a
/// watcher can tell that another run (up, down) changed the lab behind it.
std::string lab_state_stamp(const std::string& lab);

} // namespace netlab
