#include <netlab/util/error.hpp>

#include <cstring>

namespace netlab {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

} // namespace netlab
