# Every dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBNL REQUIRED IMPORTED_TARGET libnl-3.0 libnl-route-3.0)
pkg_check_modules(NFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1) # the topology parser (Debian libyaml-dev)
pkg_check_modules(GRAPHVIZ REQUIRED libgvc) # graph --format svg|png|html
pkg_check_modules(HTTPLIB REQUIRED cpp-httplib) # graph --serve (Debian builds it as a shared library)
# netlab capture (Debian libpcap-dev; the .deb then depends on libpcap0.8).
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
if(NETLAB_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
