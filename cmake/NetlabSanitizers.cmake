# AddressSanitizer + UBSan for the test build (NETLAB_SANITIZE=ON).
# -g1 (line tables, no variable info): sanitizer reports keep file:line in every
# frame, and the build skips most of the debug info that made up much of its
# compile time (README, Development). A plain Debug build keeps full -g for gdb.
if(NETLAB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      $<$<CONFIG:Debug>:-g1>)
  add_link_options(-fsanitize=address,undefined)
endif()
