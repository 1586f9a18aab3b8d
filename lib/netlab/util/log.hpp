#pragma once
// The one logging path (spdlog behind a small wrapper, so that only log.cpp
// parses spdlog's headers). Logs go to stderr. Callers test log_enabled()
// before building a message, so a level that is off costs one atomic load.
#include <string>
#include <string_view>

namespace netlab {

/// How much to log: error (-q), warn (default), debug (-v: each kernel request,
/// its result and time), trace (-vv: also the observed state).
enum class LogLevel { error, warn, debug, trace };

/// Sets the level for the rest of the process (the app does this once).
void set_log_level(LogLevel level);

/// Whether a message at `level` would be written.
bool log_enabled(LogLevel level);

/// Writes one line to stderr if `level` is on.
void log_line(LogLevel level, std::string_view message);

/// Milliseconds as "0.42 ms" (three significant digits) for log lines.
std::string format_ms(double ms);

} // namespace netlab
