# Every dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBNL REQUIRED IMPORTED_TARGET libnl-3.0 libnl-route-3.0)
pkg_check_modules(NFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(LIBYAML REQUIRED IMPORTED_TARGET yaml-0.1) # the topology parser (Debian libyaml-dev)
pkg_check_modules(GRAPHVIZ REQUIRED libgvc) # graph --format svg|png|html
pkg_check_modules(HTTPLIB REQUIRED cpp-httplib) # graph --serve (Debian builds it as a shared library)
# netlab capture (Debian libpcap-dev; the .deb then depends on libpcap0.8).
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
# The allocator of the netlab executable (Debian libjemalloc-dev; the .deb then
# depends on libjemalloc2). A watcher's edit of a 1000-namespace lab builds and
# frees its models whole: glibc's malloc spent a quarter of it in malloc and free
# (consolidating fastbins, mmap for the file's text); jemalloc took an address
# edit from 19 to 14 ms, a namespace's removal from 41 to 27 (bench/README.md).
# Not under the sanitizers, which bring their own.
if(NETLAB_JEMALLOC AND NOT NETLAB_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  set(NETLAB_WITH_JEMALLOC ON)
endif()
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
if(NETLAB_TESTS)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
