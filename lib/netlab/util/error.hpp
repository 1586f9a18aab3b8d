#pragma once
#include <expected>
#include <string>
#include <utility>

namespace netlab {

/// Process exit codes, as DESIGN.md defines them.
enum class ExitCode : int { ok = 0, failure = 1, usage = 2, drift = 3 };

/// An expected failure: a message fit to print, and the exit code it maps to.
struct Error {
  std::string message;
  ExitCode code = ExitCode::failure;
};

template <class T> using Expected = std::expected<T, Error>;

/// Shorthand for returning a runtime failure.
inline std::unexpected<Error> fail(std::string message, ExitCode code = ExitCode::failure) {
  return std::unexpected(Error{std::move(message), code});
}

/// "message: strerror(err)" for a failed system or netlink call.
std::string errno_text(int err);

} // namespace netlab
