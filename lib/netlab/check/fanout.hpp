#pragma once
// `netlab exec --all / --nodes`: one command in several nodes, one after the
// other or all at once, every output line prefixed with its node's name.
#include <netlab/check/enter.hpp>
#include <netlab/util/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace netlab {

/// Cuts a byte stream into whole lines, each with a prefix: what `--parallel`
/// needs so that lines of two nodes never mix inside a line.
class LinePrefixer {
public:
  explicit LinePrefixer(std::string prefix) : m_prefix(std::move(prefix)) {}
  /// Takes more bytes; returns the lines they complete, each prefixed and ending in '\n'.
  std::string feed(std::string_view bytes);
  /// The unfinished last line, prefixed and ended with '\n' ("" when there is none).
  std::string finish();

private:
  std::string m_prefix;
  std::string m_partial;
};

/// Whether the nodes run one after the other or all at once.
enum class Parallel { no, yes };

/// Runs `argv` in each node (a forked child enters the namespace and execs it),
/// its stdout and stderr copied line by line with "node: " in front to `out_fd`
/// and `err_fd`. Returns the worst (highest) exit code: 128+N for a signal,
/// 127 when the command does not exist, 126 when it cannot run.
Expected<int> run_in_nodes(const std::vector<NodeTarget>& nodes, const std::vector<std::string>& argv,
                           Parallel parallel, int out_fd, int err_fd);

} // namespace netlab
