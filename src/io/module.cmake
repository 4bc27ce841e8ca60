# libcsv (Debian libcsv-dev) for `strata import --format csv`; it ships no pkg-config file.
find_library(STRATA_LIBCSV csv REQUIRED)
find_path(STRATA_LIBCSV_INCLUDE csv.h REQUIRED)
target_link_libraries(strata_lib PUBLIC ${STRATA_LIBCSV})
target_include_directories(strata_lib SYSTEM PRIVATE ${STRATA_LIBCSV_INCLUDE})
# The read-ahead thread of prefetch.c (glibc has pthreads in libc, others may not).
find_package(Threads REQUIRED)
target_link_libraries(strata_lib PUBLIC Threads::Threads)
# `strata export`: gzip (Debian zlib1g-dev) and zstd (libzstd-dev) output streams.
find_package(ZLIB REQUIRED)
target_link_libraries(strata_lib PRIVATE ZLIB::ZLIB)
pkg_check_modules(STRATA_ZSTD REQUIRED IMPORTED_TARGET libzstd)
target_link_libraries(strata_lib PRIVATE PkgConfig::STRATA_ZSTD)
