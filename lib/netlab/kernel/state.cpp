#include <netlab/kernel/state.hpp>

namespace netlab {

const ObservedLink* ObservedNs::find_link(std::string_view name) const {
  for (const auto& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

const ObservedLink* ObservedNs::find_link(int ifindex) const {
  for (const auto& l : links)
    if (l.ifindex == ifindex) return &l;
  return nullptr;
}

} // namespace netlab
