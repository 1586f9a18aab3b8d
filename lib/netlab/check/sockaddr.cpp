#include <netlab/check/sockaddr.hpp>

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>

namespace netlab {

SockAddr to_sockaddr(const IpAddr& addr, uint16_t port) {
  SockAddr out;
  if (addr.family == Family::v4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, addr.bytes.data(), 4);
    out.len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, addr.bytes.data(), 16);
    out.len = sizeof(sockaddr_in6);
  }
  return out;
}

IpAddr address_of(const sockaddr_storage& sa) {
  IpAddr out;
  if (sa.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&sa);
    std::memcpy(out.bytes.data(), &sin->sin_addr, 4);
    return out;
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&sa);
  if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
    std::memcpy(out.bytes.data(), sin6->sin6_addr.s6_addr + 12, 4);
    return out;
  }
  out.family = Family::v6;
  std::memcpy(out.bytes.data(), &sin6->sin6_addr, 16);
  return out;
}

uint16_t port_of(const sockaddr_storage& sa) {
  if (sa.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&sa)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_port);
}

int af_of(Family f) { return f == Family::v4 ? AF_INET : AF_INET6; }

} // namespace netlab
