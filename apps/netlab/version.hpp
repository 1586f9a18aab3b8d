#pragma once
// The text of `netlab --version`, defined in a file generated at build time
// (cmake/NetlabVersion.cmake) so that a new commit recompiles only that file.
#include <string>

namespace netlab::app {

/// "netlab 0.1.0 (commit 731a29e-dirty)": version and `git describe`, or "unknown".
std::string version_line();

} // namespace netlab::app
