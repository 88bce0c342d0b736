// promcxx: the standard process_* metrics of the client-library guidelines (Linux, Windows).
//
// Linux: read from /proc at scrape time with open/read into fixed stack buffers and
// getdents64 for the fd count, so a steady-state scrape allocates nothing here.
// Windows: the names and sources client_golang uses there: GetProcessTimes (CPU,
// start time), GetProcessMemoryInfo (resident = working set, virtual = private
// bytes) and GetProcessHandleCount (open_fds counts handles); no max_fds, virtual
// memory limit or threads. A value that cannot be read (a sandbox without /proc)
// is left out of the scrape, never guessed. Elsewhere (macOS, the BSDs) there is
// no implementation yet: the collector is a no-op that writes no process_*
// family, so a scrape never shows a made-up value.
//
// Including this header registers one collector in the default registry, as
// the reference clients do. To take it out:
//
//     promcxx::default_registry().remove(promcxx::process_collector::instance());
//
// and to add the same metrics to another registry:
//
//     promcxx::process_collector process{my_registry};
#ifndef PROMCXX_PROCESS_COLLECTOR_HPP
#define PROMCXX_PROCESS_COLLECTOR_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(_WIN32)
// windows.h defines min/max macros that break std::min.
#  ifndef NOMINMAX
#    define NOMINMAX
#  endif
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <windows.h>  // GetProcessTimes, GetProcessHandleCount
#  include <psapi.h>    // GetProcessMemoryInfo (kernel32's K32 entry point: no psapi.lib needed)
#else
#  include <fcntl.h>   // ::open
#  include <unistd.h>  // ::read, ::close, ::sysconf, ::syscall
#endif
#if defined(__linux__)
#  include <sys/syscall.h>  // SYS_getdents64: counts fds without DIR's heap buffer
#endif

#include "collect.hpp"  // collect_sink, registry::collect
#include "snapshot.hpp"

namespace promcxx {

namespace detail {

/// Reads up to `capacity` bytes of a (small) file; -1 when it cannot be read.
inline long read_small_file(const char* path, char* buffer, std::size_t capacity) noexcept {
#if defined(_WIN32)
  (void)path, (void)buffer, (void)capacity;
  return -1;  // no /proc
#else
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::size_t size = 0;
  while (size < capacity) {
    const auto n = ::read(fd, buffer + size, capacity - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return -1;
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return static_cast<long>(size);
#endif
}

/// Parses an unsigned decimal at the start of `text`; false if there is none.
inline bool parse_u64(std::string_view text, std::uint64_t& out) noexcept {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

/// The soft limit of one /proc/self/limits row ("Max open files  1024  4096  files").
inline bool parse_soft_limit(std::string_view limits, std::string_view row, double& out) noexcept {
  std::size_t at = 0;
  while (at < limits.size()) {
    const auto end = limits.find('\n', at);
    std::string_view line = limits.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? limits.size() : end + 1;
    if (!line.starts_with(row)) continue;
    line.remove_prefix(row.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.starts_with("unlimited")) {
      out = 18446744073709551615.0;  // the reference clients report "unlimited" as 2^64-1
      return true;
    }
    std::uint64_t v = 0;
    if (!parse_u64(line, v)) return false;
    out = static_cast<double>(v);
    return true;
  }
  return false;
}

/// `btime` (boot time, epoch seconds) from /proc/stat, streamed through a small
/// buffer: the file can be large on many-CPU machines (the `intr` line).
inline bool read_boot_time(std::uint64_t& out) noexcept {
#if defined(_WIN32)
  (void)out;
  return false;  // no /proc/stat
#else
  const int fd = ::open("/proc/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  constexpr std::string_view key = "\nbtime ";
  std::size_t matched = 1;  // the file start counts as a line start
  bool in_value = false, found = false;
  std::uint64_t value = 0;
  char buffer[1024];
  while (!found) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (long i = 0; i < n && !found; ++i) {
      const char c = buffer[i];
      if (in_value) {
        if (c >= '0' && c <= '9') value = value * 10 + static_cast<std::uint64_t>(c - '0');
        else found = true;
        continue;
      }
      if (c == key[matched]) {
        if (++matched == key.size()) in_value = true;
      } else {
        matched = c == '\n' ? 1 : 0;
      }
    }
  }
  ::close(fd);
  if (in_value) found = true;  // value ran to the end of the file
  if (found) out = value;
  return found;
#endif
}

/// Entries in /proc/self/fd (the directory's own descriptor included, as the Go client counts).
inline bool count_open_fds(std::uint64_t& out) noexcept {
#if !defined(__linux__)
  (void)out;
  return false;  // no /proc/self/fd: the value is omitted
#else
  const int fd = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  alignas(8) char buffer[4096];
  std::uint64_t count = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    for (long at = 0; at < n;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]
      std::uint16_t reclen = 0;
      __builtin_memcpy(&reclen, buffer + at + 16, sizeof reclen);
      const char* name = buffer + at + 19;
      const bool dot = name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
      if (!dot) ++count;
      if (reclen == 0) break;
      at += reclen;
    }
  }
  ::close(fd);
  out = count;
  return true;
#endif
}

} // namespace detail

/// Collects process_cpu_seconds_total, process_open_fds, process_max_fds,
/// process_virtual_memory_bytes, process_virtual_memory_max_bytes,
/// process_resident_memory_bytes, process_start_time_seconds and process_threads.
class process_collector final : public collector {
 public:
  /// One reading; a `has_*` flag is false when the value could not be read.
  struct values {
    double cpu_seconds = 0, open_fds = 0, max_fds = 0, virtual_memory_bytes = 0, virtual_memory_max_bytes = 0,
           resident_memory_bytes = 0, start_time_seconds = 0, threads = 0;
    bool has_cpu_seconds = false, has_open_fds = false, has_max_fds = false, has_virtual_memory_bytes = false,
         has_virtual_memory_max_bytes = false, has_resident_memory_bytes = false, has_start_time_seconds = false,
         has_threads = false;
  };

  /// Not registered anywhere (add it to a registry with `registry::add`).
  process_collector() = default;
  explicit process_collector(registry& r) { r.add(*this); }

  /// The collector the default registry starts with.
  static process_collector& instance() noexcept;

  /// Reads /proc (Windows: the process APIs) now. Allocation-free.
  [[nodiscard]] static values read() noexcept {
    values v;
#if defined(_WIN32)
    const HANDLE self = ::GetCurrentProcess();
    // FILETIME: 100 ns units; creation time counts from 1601-01-01.
    const auto units = [](FILETIME t) {
      return static_cast<double>((static_cast<std::uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime);
    };
    FILETIME creation{}, exit_time{}, kernel{}, user{};
    if (::GetProcessTimes(self, &creation, &exit_time, &kernel, &user)) {
      v.cpu_seconds = (units(kernel) + units(user)) / 1e7;
      v.has_cpu_seconds = true;
      constexpr double unix_epoch_in_units = 116444736000000000.0;  // 1601 to 1970 in 100 ns
      v.start_time_seconds = (units(creation) - unix_epoch_in_units) / 1e7;
      v.has_start_time_seconds = true;
    }
    // A running process always has a working set, private bytes and handles: a 0 means the
    // API does not know (wine 8 answers 0 for the last two), so the value is left out.
    PROCESS_MEMORY_COUNTERS_EX memory{};
    memory.cb = sizeof memory;
    if (::GetProcessMemoryInfo(self, reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&memory), sizeof memory)) {
      v.resident_memory_bytes = static_cast<double>(memory.WorkingSetSize);
      v.has_resident_memory_bytes = memory.WorkingSetSize > 0;
      v.virtual_memory_bytes = static_cast<double>(memory.PrivateUsage);
      v.has_virtual_memory_bytes = memory.PrivateUsage > 0;
    }
    DWORD handles = 0;
    if (::GetProcessHandleCount(self, &handles) && handles > 0) {
      v.open_fds = static_cast<double>(handles);
      v.has_open_fds = true;
    }
    return v;
#else
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const long page = ::sysconf(_SC_PAGESIZE);
    char buffer[4096];
    if (const long n = detail::read_small_file("/proc/self/stat", buffer, sizeof buffer); n > 0) {
      const std::string_view stat{buffer, static_cast<std::size_t>(n)};
      // The command name may hold spaces and ')': the fields start after the last ')'.
      if (const auto close = stat.rfind(')'); close != std::string_view::npos) {
        std::string_view rest = stat.substr(close + 1);
        std::uint64_t fields[22] = {};  // fields 3..24 of proc(5): state is [0] and not numeric
        bool ok[22] = {};
        for (std::size_t i = 0; i < 22; ++i) {
          while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
          const auto space = rest.find(' ');
          const auto token = rest.substr(0, space);
          ok[i] = detail::parse_u64(token, fields[i]);
          rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space);
        }
        constexpr std::size_t utime = 14 - 3, stime = 15 - 3, threads = 20 - 3, starttime = 22 - 3, vsize = 23 - 3,
                              rss = 24 - 3;
        if (ticks > 0 && ok[utime] && ok[stime]) {
          v.cpu_seconds = static_cast<double>(fields[utime] + fields[stime]) / static_cast<double>(ticks);
          v.has_cpu_seconds = true;
        }
        if (ok[threads]) {
          v.threads = static_cast<double>(fields[threads]);
          v.has_threads = true;
        }
        if (ok[vsize]) {
          v.virtual_memory_bytes = static_cast<double>(fields[vsize]);
          v.has_virtual_memory_bytes = true;
        }
        if (page > 0 && ok[rss]) {
          v.resident_memory_bytes = static_cast<double>(fields[rss]) * static_cast<double>(page);
          v.has_resident_memory_bytes = true;
        }
        std::uint64_t boot = 0;
        if (ticks > 0 && ok[starttime] && detail::read_boot_time(boot)) {
          v.start_time_seconds =
              static_cast<double>(boot) + static_cast<double>(fields[starttime]) / static_cast<double>(ticks);
          v.has_start_time_seconds = true;
        }
      }
    }
    if (const long n = detail::read_small_file("/proc/self/limits", buffer, sizeof buffer); n > 0) {
      const std::string_view limits{buffer, static_cast<std::size_t>(n)};
      v.has_max_fds = detail::parse_soft_limit(limits, "Max open files", v.max_fds);
      v.has_virtual_memory_max_bytes = detail::parse_soft_limit(limits, "Max address space", v.virtual_memory_max_bytes);
    }
    std::uint64_t fds = 0;
    if (detail::count_open_fds(fds)) {
      v.open_fds = static_cast<double>(fds);
      v.has_open_fds = true;
    }
    return v;
#endif
  }

  void collect(collect_sink& sink) const override {
    const values v = read();
    const auto gauge = [&sink](bool has, std::string_view name, std::string_view help, double value) {
      if (has && sink.family(name, help, metric_type::gauge)) sink.sample({}, value);
    };
    if (v.has_cpu_seconds &&
        sink.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    metric_type::counter))
      sink.sample({}, v.cpu_seconds);
    gauge(v.has_open_fds, "process_open_fds", "Number of open file descriptors.", v.open_fds);
    gauge(v.has_max_fds, "process_max_fds", "Maximum number of open file descriptors.", v.max_fds);
    gauge(v.has_virtual_memory_bytes, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
          v.virtual_memory_bytes);
    gauge(v.has_virtual_memory_max_bytes, "process_virtual_memory_max_bytes",
          "Maximum amount of virtual memory available in bytes.", v.virtual_memory_max_bytes);
    gauge(v.has_resident_memory_bytes, "process_resident_memory_bytes", "Resident memory size in bytes.",
          v.resident_memory_bytes);
    gauge(v.has_start_time_seconds, "process_start_time_seconds",
          "Start time of the process since unix epoch in seconds.", v.start_time_seconds);
    gauge(v.has_threads, "process_threads", "Number of OS threads in the process.", v.threads);
  }
};

namespace detail {
/// Registered at static initialisation; the default registry is constant-initialised, so it exists already.
inline process_collector default_process_collector{default_registry()};
} // namespace detail

inline process_collector& process_collector::instance() noexcept { return detail::default_process_collector; }

} // namespace promcxx

#endif // PROMCXX_PROCESS_COLLECTOR_HPP
