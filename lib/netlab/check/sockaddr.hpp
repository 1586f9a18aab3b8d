#pragma once
// Conversions between IpAddr and the socket API's sockaddr forms, shared by the probes.
#include <netlab/util/ip.hpp>

#include <cstdint>
#include <sys/socket.h>

namespace netlab {

/// A sockaddr_in / sockaddr_in6 for `addr` and `port`, with its length.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

/// Builds the socket address of `addr`:`port`.
SockAddr to_sockaddr(const IpAddr& addr, uint16_t port);

/// The address and port in `sa`; a v4-mapped IPv6 address comes back as IPv4.
IpAddr address_of(const sockaddr_storage& sa);
uint16_t port_of(const sockaddr_storage& sa); ///< host byte order

/// AF_INET or AF_INET6 for a family.
int af_of(Family f);

} // namespace netlab
