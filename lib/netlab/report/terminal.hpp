#pragma once
// Text for a terminal: colour for change lines and drift, and the one updating
// progress line of a long run. Pure: the app decides whether it has a terminal.
#include <netlab/plan/diff.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace netlab {

/// --color=auto|always|never.
enum class ColorMode { automatic, always, never };

/// "always" and "never" as given; anything else is automatic.
ColorMode parse_color_mode(std::string_view text);

/// Whether to colour: always/never as asked; automatic colours a terminal
/// unless NO_COLOR is set to a non-empty value (no-color.org).
bool use_color(ColorMode mode, bool is_tty, const char* no_color);

/// A change line ("+ ...", "- ...", "~ ...") in green, red or yellow; `line` as is without colour.
std::string paint_change(std::string_view line, bool color);

/// A status line of `state`: missing and conflict red, different yellow, extra magenta, ok as is.
std::string paint_finding(std::string_view line, Finding::State state, bool color);

/// Plans longer than this show a progress line on a terminal instead of every change.
inline constexpr std::size_t k_progress_threshold = 50;

/// Whether a run of `actions` changes shows the progress line rather than every line.
bool show_progress(bool is_tty, int verbose, bool quiet, std::size_t actions);

/// "  1234/4000 changes  31%  2100/s  ETA 2s" after `elapsed_s` seconds.
std::string progress_line(std::size_t done, std::size_t total, double elapsed_s);

} // namespace netlab
