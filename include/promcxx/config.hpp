// promcxx: contract checks and small portability switches.
#ifndef PROMCXX_CONFIG_HPP
#define PROMCXX_CONFIG_HPP

#include <chrono>   // now_seconds
#include <cstdio>   // std::fprintf in the default assert handler
#include <cstdlib>  // std::abort

/// PROMCXX_ASSERT(condition, message) checks a caller contract (for example a
/// negative counter increment). Define it before including promcxx to throw,
/// log or count instead; tests redefine it to throw. The default aborts with
/// the message in debug builds and compiles to nothing under NDEBUG. Whatever
/// the macro does, the metric is left unchanged when a contract is broken.
#ifndef PROMCXX_ASSERT
#  ifdef NDEBUG
#    define PROMCXX_ASSERT(condition, message) static_cast<void>(0)
#  else
#    define PROMCXX_ASSERT(condition, message)                                      \
       ((condition) ? static_cast<void>(0)                                          \
                    : ::promcxx::detail::assert_fail(__FILE__, __LINE__, (message)))
#  endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define PROMCXX_NOINLINE __attribute__((noinline))
#  define PROMCXX_COLD __attribute__((cold, noinline))
#else
#  define PROMCXX_NOINLINE
#  define PROMCXX_COLD
#endif

namespace promcxx::detail {

[[noreturn]] PROMCXX_COLD inline void assert_fail(const char* file, int line, const char* message) noexcept {
  std::fprintf(stderr, "%s:%d: promcxx contract violated: %s\n", file, line, message);
  std::abort();
}

/// Wall-clock seconds since the Unix epoch (creation times, exemplar timestamps).
inline double now_seconds() noexcept {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace promcxx::detail

#endif // PROMCXX_CONFIG_HPP
