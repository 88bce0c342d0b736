// promcxx: contract checks and small portability switches.
#ifndef PROMCXX_CONFIG_HPP
#define PROMCXX_CONFIG_HPP

#include <atomic>   // detail::mutex
#include <cstddef>
#include <cstdint>
#include <cstdio>   // std::fprintf in the default assert handler
#include <cstdlib>  // std::abort
#include <ctime>    // std::timespec_get: now_seconds without <chrono>, which costs more to compile than the core

/// PROMCXX_ASSERT(condition, message) checks a caller contract (for example a
/// negative counter increment). Define it before including promcxx to throw,
/// log or count instead; tests redefine it to throw. The default aborts with
/// the message in debug builds and compiles to nothing under NDEBUG. Whatever
/// the macro does, the metric is left unchanged when a contract is broken.
/// PROMCXX_THROW(exception): throws, or with exceptions disabled (-fno-exceptions)
/// prints the message and aborts, like a failed PROMCXX_ASSERT.
#if defined(__cpp_exceptions)
#  define PROMCXX_THROW(...) throw __VA_ARGS__
#  define PROMCXX_TRY try
#  define PROMCXX_CATCH_ALL catch (...)
#  define PROMCXX_RETHROW throw
#else
#  define PROMCXX_THROW(...) ::promcxx::detail::throw_disabled(__VA_ARGS__)
#  define PROMCXX_TRY if (true)
#  define PROMCXX_CATCH_ALL else
#  define PROMCXX_RETHROW std::abort()  // unreachable: the PROMCXX_TRY branch always runs
#endif

#ifndef PROMCXX_ASSERT
#  define PROMCXX_ASSERT_IS_DEFAULT 1
#  ifdef NDEBUG
#    define PROMCXX_ASSERT(condition, message) static_cast<void>(0)
#  else
#    define PROMCXX_ASSERT(condition, message)                                      \
       ((condition) ? static_cast<void>(0)                                          \
                    : ::promcxx::detail::assert_fail(__FILE__, __LINE__, (message)))
#  endif
#endif

/// PROMCXX_BAD_DATA(kind, message): a value that arrived at run time is refused
/// (an invalid label value, a NaN observation, a negative counter increment, an
/// over-long exemplar, an undeclared state). Such values are data, not programming
/// errors: they are dropped and counted in `promcxx_bad_data_total{kind}`, and never
/// abort, whatever the build mode. Only a user-defined PROMCXX_ASSERT (tests make
/// it throw) also sees them.
#if defined(PROMCXX_ASSERT_IS_DEFAULT)
#  define PROMCXX_BAD_DATA(kind, message) ::promcxx::detail::count_bad_data(kind)
#else
#  define PROMCXX_BAD_DATA(kind, message) (::promcxx::detail::count_bad_data(kind), PROMCXX_ASSERT(false, message))
#endif

/// PROMCXX_SEPARATE_COMPILATION (defined for the whole program, as fmt's FMT_HEADER_ONLY
/// the other way round): the core's slow paths (creating and removing series,
/// registries, cell allocation) are compiled once, in src/promcxx.cpp (Meson's
/// promcxx_compiled_dep, CMake's promcxx::compiled), instead of in every translation
/// unit that declares a metric. The hot path stays inline either way.
/// PROMCXX_DEFINE_SLOW_PATHS is 1 where those bodies are compiled (header-only, or
/// the library's own source), PROMCXX_SLOW_PATH marks their definitions.
/// PROMCXX_GLOBAL declares the process-wide objects that have a destructor (the
/// default registry, the cell allocator): inline variables header-only, defined in
/// the library in compiled mode, where every translation unit would otherwise
/// compile their guarded destruction.
#if defined(PROMCXX_SEPARATE_COMPILATION)
#  define PROMCXX_SLOW_PATH
#  if defined(PROMCXX_COMPILING_LIBRARY)
#    define PROMCXX_DEFINE_SLOW_PATHS 1
#    define PROMCXX_GLOBAL constinit
#  else
#    define PROMCXX_DEFINE_SLOW_PATHS 0
#    define PROMCXX_GLOBAL extern constinit
#  endif
#else
#  define PROMCXX_SLOW_PATH inline
#  define PROMCXX_DEFINE_SLOW_PATHS 1
#  define PROMCXX_GLOBAL inline constinit
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define PROMCXX_NOINLINE __attribute__((noinline))
#  define PROMCXX_COLD __attribute__((cold, noinline))
#else
#  define PROMCXX_NOINLINE
#  define PROMCXX_COLD
#endif

namespace promcxx::detail {

/// PROMCXX_THROW without exceptions: the message, then abort.
template <class E>
[[noreturn]] PROMCXX_COLD void throw_disabled(const E& e) noexcept {
  std::fprintf(stderr, "%s\n", e.what());
  std::abort();
}

/// What kind of bad data was dropped (the `kind` label of promcxx_bad_data_total).
enum class bad_data : std::uint8_t { label_value, observation_nan, counter_decrease, exemplar, unknown_state };
inline constexpr std::size_t bad_data_kinds = 5;
inline constexpr const char* bad_data_names[bad_data_kinds] = {"label_value", "observation_nan", "counter_decrease",
                                                               "exemplar", "unknown_state"};
/// Process-wide counts by kind.
inline constinit std::atomic<std::uint64_t> bad_data_counts[bad_data_kinds] = {};

PROMCXX_COLD inline void count_bad_data(bad_data kind) noexcept {
  bad_data_counts[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
}

[[noreturn]] PROMCXX_COLD inline void assert_fail(const char* file, int line, const char* message) noexcept {
  std::fprintf(stderr, "%s:%d: promcxx contract violated: %s\n", file, line, message);
  std::abort();
}

/// NaN test without <cmath> (its overload set is costly to compile).
constexpr bool is_nan(double v) noexcept { return v != v; }

/// Wall-clock seconds since the Unix epoch (creation times, exemplar timestamps).
inline double now_seconds() noexcept {
#if defined(_WIN32) && !defined(_UCRT)
  timespec ts{};  // msvcrt has no timespec_get; MinGW's winpthreads supplies clock_gettime
  clock_gettime(CLOCK_REALTIME, &ts);
#else
  std::timespec ts{};
  std::timespec_get(&ts, TIME_UTC);
#endif
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// A small mutex on a C++20 atomic wait (a futex on Linux): the core's locks
/// guard rare paths (series creation, scrapes), and <mutex> would pull <chrono>
/// into every translation unit that declares a metric.
class mutex {
 public:
  constexpr mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() noexcept {
    std::uint32_t expected = unlocked;
    if (state_.compare_exchange_strong(expected, locked, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_contended();
  }
  void unlock() noexcept {
    if (state_.exchange(unlocked, std::memory_order_release) == contended) wake_one();
  }

 private:
  // The futex calls: compiled once in compiled mode (PROMCXX_SEPARATE_COMPILATION).
  void lock_contended() noexcept;
  void wake_one() noexcept;

  static constexpr std::uint32_t unlocked = 0, locked = 1, contended = 2;
  std::atomic<std::uint32_t> state_{unlocked};
};

#if PROMCXX_DEFINE_SLOW_PATHS
PROMCXX_SLOW_PATH void mutex::lock_contended() noexcept {
  // Contended: mark waiters, sleep until the holder's unlock wakes us.
  while (state_.exchange(contended, std::memory_order_acquire) != unlocked) state_.wait(contended, std::memory_order_relaxed);
}

PROMCXX_SLOW_PATH void mutex::wake_one() noexcept { state_.notify_one(); }
#endif

/// Holds a detail::mutex for a scope.
class lock {
 public:
  explicit lock(mutex& m) noexcept : mutex_(m) { mutex_.lock(); }
  lock(const lock&) = delete;
  lock& operator=(const lock&) = delete;
  ~lock() { mutex_.unlock(); }

 private:
  mutex& mutex_;
};

} // namespace promcxx::detail

#endif // PROMCXX_CONFIG_HPP
