# Install layout, the .deb (CPack) and the version/commit of the binary.
# Included from the top CMakeLists.txt after lib/ and apps/ are added.
include(GNUInstallDirs)
# cpack (and the `package` test) packs what is built and never runs a build itself, so a
# test packing the tree cannot relink binaries that other tests are running.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(NETLAB_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)
set(NETLAB_LABS_DESTINATION ${CMAKE_INSTALL_DATADIR}/netlab/topologies)

# Where `netlab up NAME` looks for a shipped lab (lib/netlab/topology/search.cpp): the
# build tree's topologies/ when run from this build tree, the labs relative to the
# installed binary (so an unpacked .deb works from any root), the configured prefix.
file(RELATIVE_PATH NETLAB_BINDIR_TO_LABS ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_FULL_DATADIR}/netlab/topologies)
configure_file(${CMAKE_CURRENT_LIST_DIR}/search_config.hpp.in
               ${NETLAB_GENERATED_DIR}/netlab/topology/search_config.hpp @ONLY)
target_include_directories(netlab PRIVATE ${NETLAB_GENERATED_DIR})

# `netlab --version`: the commit is read at build time by a script that rewrites
# version.cpp only when the text changes, so a new commit recompiles one file and
# relinks the app, nothing else. -DNETLAB_GIT_COMMIT=... overrides it (tarballs).
set(NETLAB_GIT_COMMIT "" CACHE STRING "Commit shown by netlab --version (default: git describe)")
set(NETLAB_VERSION_CPP ${NETLAB_GENERATED_DIR}/version.cpp)
add_custom_target(netlab_version
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${NETLAB_VERSION_CPP}
          -DVERSION=${PROJECT_VERSION} -DGIT_COMMIT=${NETLAB_GIT_COMMIT}
          -P ${CMAKE_CURRENT_LIST_DIR}/NetlabVersion.cmake
  BYPRODUCTS ${NETLAB_VERSION_CPP}
  COMMENT "netlab version: git describe"
  VERBATIM)
target_sources(netlab-cli PRIVATE ${NETLAB_VERSION_CPP})
# Not in the app's unity files: a new commit still recompiles this file alone.
set_source_files_properties(${NETLAB_VERSION_CPP} TARGET_DIRECTORY netlab-cli PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
target_include_directories(netlab-cli PRIVATE ${PROJECT_SOURCE_DIR}/apps/netlab)
add_dependencies(netlab-cli netlab_version)

# The man page, gzipped as Debian ships them.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(NETLAB_MAN_GZ ${PROJECT_BINARY_DIR}/netlab.1.gz)
add_custom_command(OUTPUT ${NETLAB_MAN_GZ}
  COMMAND ${GZIP_PROGRAM} -9n -c ${PROJECT_SOURCE_DIR}/docs/netlab.1 > ${NETLAB_MAN_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/netlab.1
  COMMENT "gzip netlab.1")
add_custom_target(netlab_man ALL DEPENDS ${NETLAB_MAN_GZ})

install(TARGETS netlab-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The user-space end of the tun/tap lesson (topologies/tun-userspace.yaml): `netlab exec ns1 -- tunping tun0`.
install(TARGETS tunping RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${NETLAB_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES completions/netlab.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME netlab)
install(FILES completions/_netlab DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES completions/netlab.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(DIRECTORY schema/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netlab/schema FILES_MATCHING PATTERN "*.json")
install(DIRECTORY topologies/ DESTINATION ${NETLAB_LABS_DESTINATION} FILES_MATCHING PATTERN "*.yaml")
# The playbooks for labs over several machines: ansible-playbook /usr/share/netlab/ansible/site.yml.
install(DIRECTORY contrib/ansible/ DESTINATION ${CMAKE_INSTALL_DATADIR}/netlab/ansible
        FILES_MATCHING PATTERN "*.yml" PATTERN "*.py" PATTERN "*.md" PATTERN "__pycache__" EXCLUDE)
install(FILES README.md docs/topology.md docs/tutorial.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB (scripts/package.sh): Depends computed by dpkg-shlibdeps (dpkg-dev), libpcap0.8
# for netlab capture among them (tests/install/package_test.sh checks the list).
set(CPACK_PACKAGE_NAME netlab)
set(CPACK_PACKAGE_VENDOR "netlab")
set(CPACK_PACKAGE_CONTACT "netlab maintainers <netlab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Linux network labs from a YAML file, reconciled over netlink")
set(CPACK_PACKAGE_DESCRIPTION
    "netlab builds network namespaces, veth pairs, bridges, addresses, routes and\n"
    "nftables NAT from one YAML file, applies only the difference to the live kernel\n"
    "and removes exactly what it created.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "iproute2, nftables, bash-completion")
include(CPack)
