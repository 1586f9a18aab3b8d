#include <netlab/util/log.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace netlab {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
  case LogLevel::error: return spdlog::level::err;
  case LogLevel::warn: return spdlog::level::warn;
  case LogLevel::debug: return spdlog::level::debug;
  case LogLevel::trace: return spdlog::level::trace;
  }
  return spdlog::level::warn;
}

/// The process's logger: stderr, "netlab: debug: message", warnings by default.
spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto l = std::make_shared<spdlog::logger>("netlab", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("netlab: %l: %v");
    l->set_level(spdlog::level::warn);
    l->flush_on(spdlog::level::trace); // lines appear as they happen, in order with stdout
    return l;
  }();
  return *instance;
}

} // namespace

void set_log_level(LogLevel level) {
  logger().set_level(to_spdlog(level));
}

bool log_enabled(LogLevel level) {
  return logger().should_log(to_spdlog(level));
}

void log_line(LogLevel level, std::string_view message) {
  auto& l = logger();
  if (l.should_log(to_spdlog(level))) l.log(to_spdlog(level), "{}", message);
}

std::string format_ms(double ms) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : ms < 100 ? "%.1f ms" : "%.0f ms", ms);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

} // namespace netlab
