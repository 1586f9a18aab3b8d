#pragma once
// Where `graph --serve` listens: parsed and judged (loopback or not) without I/O.
#include <netlab/util/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace netlab {

/// An address and port to listen on.
struct ListenAddress {
  std::string host = "127.0.0.1"; ///< an IP literal (v6 without brackets)
  uint16_t port = 8080;           ///< 0: any free port
  bool loopback = true;           ///< only this machine can connect (127.0.0.0/8, ::1)
};

/// "127.0.0.1:8080", "[::1]:8080", "localhost:8080" or a bare "8080" (loopback).
/// Host names other than localhost are refused: the address must be what is bound.
Expected<ListenAddress> parse_listen(std::string_view text);

} // namespace netlab
