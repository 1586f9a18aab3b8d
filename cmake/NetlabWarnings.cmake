# Warnings applied to every netlab target through netlab_warnings().
add_library(netlab_warnings INTERFACE)
target_compile_options(netlab_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local)
