#include <netlab/report/terminal.hpp>

#include <cmath>
#include <cstdio>

namespace netlab {

namespace {

constexpr std::string_view k_reset = "\x1b[0m";

std::string wrap(std::string_view line, std::string_view colour) {
  return std::string(colour) + std::string(line) + std::string(k_reset);
}

} // namespace

ColorMode parse_color_mode(std::string_view text) {
  if (text == "always") return ColorMode::always;
  if (text == "never") return ColorMode::never;
  return ColorMode::automatic;
}

bool use_color(ColorMode mode, bool is_tty, const char* no_color) {
  if (mode != ColorMode::automatic) return mode == ColorMode::always;
  return is_tty && !(no_color && *no_color);
}

std::string paint_change(std::string_view line, bool color) {
  if (!color || line.size() < 2 || line[1] != ' ') return std::string(line);
  switch (line[0]) {
  case '+': return wrap(line, "\x1b[32m");
  case '-': return wrap(line, "\x1b[31m");
  case '~': return wrap(line, "\x1b[33m");
  default: return std::string(line);
  }
}

std::string paint_finding(std::string_view line, Finding::State state, bool color) {
  if (!color) return std::string(line);
  switch (state) {
  case Finding::State::ok: return std::string(line);
  case Finding::State::missing:
  case Finding::State::conflict: return wrap(line, "\x1b[31m");
  case Finding::State::different: return wrap(line, "\x1b[33m");
  case Finding::State::extra: return wrap(line, "\x1b[35m");
  }
  return std::string(line);
}

bool show_progress(bool is_tty, int verbose, bool quiet, std::size_t actions) {
  return is_tty && verbose == 0 && !quiet && actions > k_progress_threshold;
}

std::string progress_line(std::size_t done, std::size_t total, double elapsed_s) {
  char buf[128];
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
  const int percent = total == 0 ? 100 : static_cast<int>(100 * done / total);
  int n = std::snprintf(buf, sizeof buf, "%zu/%zu changes  %d%%", done, total, percent);
  std::string out(buf, static_cast<size_t>(n));
  if (rate > 0) {
    std::snprintf(buf, sizeof buf, "  %.0f/s  ETA %.0fs", rate, std::ceil(static_cast<double>(total - done) / rate));
    out += buf;
  }
  return out;
}

} // namespace netlab
