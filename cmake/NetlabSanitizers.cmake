# AddressSanitizer + UBSan for the test build (NETLAB_SANITIZE=ON).
if(NETLAB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
