// process_* metrics against values this test reads from /proc on its own.
#include "test_config.hpp"
#include "alloc_counter.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latch>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>
#include <promcxx/process_collector.hpp>

#include <doctest/doctest.h>

#include "om_test_util.hpp"

using promcxx_test::allocations;  // counting operator new: tests/support/alloc_counter.cpp

namespace {

/// Independent reading: iostreams and std::filesystem, nothing shared with the collector.
struct proc_reading {
  double utime_stime_ticks = 0, threads = 0, starttime_ticks = 0, vsize = 0, rss_pages = 0;
  double boot = 0, max_fds = 0, max_as = 0, fds = 0;
};

std::string slurp(const char* path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

double soft_limit(const std::string& limits, const std::string& row) {
  std::istringstream lines{limits};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(row, 0) != 0) continue;
    std::istringstream fields{line.substr(row.size())};
    std::string soft;
    fields >> soft;
    return soft == "unlimited" ? 18446744073709551615.0 : std::stod(soft);
  }
  return -1;
}

proc_reading read_proc() {
  proc_reading r;
  const std::string stat = slurp("/proc/self/stat");
  std::istringstream fields{stat.substr(stat.rfind(')') + 2)};
  std::vector<std::string> f{std::istream_iterator<std::string>{fields}, {}};
  // f[0] is field 3 of proc(5)
  r.utime_stime_ticks = std::stod(f[14 - 3]) + std::stod(f[15 - 3]);
  r.threads = std::stod(f[20 - 3]);
  r.starttime_ticks = std::stod(f[22 - 3]);
  r.vsize = std::stod(f[23 - 3]);
  r.rss_pages = std::stod(f[24 - 3]);
  std::istringstream sys{slurp("/proc/stat")};
  for (std::string key; sys >> key;)
    if (key == "btime") {
      sys >> r.boot;
      break;
    }
  const std::string limits = slurp("/proc/self/limits");
  r.max_fds = soft_limit(limits, "Max open files");
  r.max_as = soft_limit(limits, "Max address space");
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"}) r.fds += 1;
  return r;
}

double sample_value(const std::string& exposition, const std::string& name) {
  const auto line = om_test::line_starting(exposition, name + " ");
  REQUIRE_FALSE(line.empty());
  return std::strtod(line.c_str() + name.size() + 1, nullptr);
}

TEST_CASE("process collector: values agree with /proc") {
  // Threads that stay alive during both readings, so the thread count is exact.
  std::latch done{1};
  std::vector<std::thread> idle;
  for (int i = 0; i < 3; ++i) idle.emplace_back([&done] { done.wait(); });

  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const proc_reading before = read_proc();
  const auto v = promcxx::process_collector::read();
  const proc_reading after = read_proc();

  REQUIRE(v.has_cpu_seconds);
  CHECK(v.cpu_seconds >= before.utime_stime_ticks / ticks);
  CHECK(v.cpu_seconds <= after.utime_stime_ticks / ticks);
  REQUIRE(v.has_threads);
  CHECK(v.threads == before.threads);
  CHECK(v.threads >= 4);
  REQUIRE(v.has_start_time_seconds);
  CHECK(v.start_time_seconds == doctest::Approx(before.boot + before.starttime_ticks / ticks).epsilon(1e-12));
  REQUIRE(v.has_virtual_memory_bytes);
  CHECK(v.virtual_memory_bytes >= std::min(before.vsize, after.vsize));
  CHECK(v.virtual_memory_bytes <= std::max(before.vsize, after.vsize));
  REQUIRE(v.has_resident_memory_bytes);
  // RSS moves with every page touched: allow 1 MiB around the two readings.
  CHECK(v.resident_memory_bytes >= std::min(before.rss_pages, after.rss_pages) * page - 1048576);
  CHECK(v.resident_memory_bytes <= std::max(before.rss_pages, after.rss_pages) * page + 1048576);
  REQUIRE(v.has_max_fds);
  CHECK(v.max_fds == before.max_fds);
  REQUIRE(v.has_virtual_memory_max_bytes);
  CHECK(v.virtual_memory_max_bytes == before.max_as);
  REQUIRE(v.has_open_fds);
  CHECK(v.open_fds == before.fds);  // both count their own directory descriptor

  done.count_down();
  for (auto& t : idle) t.join();
}

TEST_CASE("process collector: open fds follow descriptors this test opens") {
  const auto base = promcxx::process_collector::read();
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) fds.push_back(::dup(0));
  const auto more = promcxx::process_collector::read();
  for (const int fd : fds) ::close(fd);
  CHECK(more.open_fds == base.open_fds + 5);
}

TEST_CASE("process collector: a reading allocates nothing") {
  (void)promcxx::process_collector::read();
  const auto before = allocations();
  const auto v = promcxx::process_collector::read();
  CHECK(allocations() == before);
  CHECK(v.has_threads);
}

TEST_CASE("process collector: registered in the default registry with the standard names and help") {
  std::string om;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::openmetrics_1_0_0, om);
  using om_test::has_line;
  CHECK(has_line(om, "# TYPE process_cpu_seconds counter"));
  CHECK(has_line(om, "# HELP process_cpu_seconds Total user and system CPU time spent in seconds."));
  CHECK(has_line(om, "# HELP process_open_fds Number of open file descriptors."));
  CHECK(has_line(om, "# HELP process_max_fds Maximum number of open file descriptors."));
  CHECK(has_line(om, "# HELP process_virtual_memory_bytes Virtual memory size in bytes."));
  CHECK(has_line(om, "# HELP process_virtual_memory_max_bytes Maximum amount of virtual memory available in bytes."));
  CHECK(has_line(om, "# HELP process_resident_memory_bytes Resident memory size in bytes."));
  CHECK(has_line(om, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds."));
  CHECK(has_line(om, "# HELP process_threads Number of OS threads in the process."));
  for (const char* gauge : {"process_open_fds", "process_max_fds", "process_virtual_memory_bytes",
                            "process_virtual_memory_max_bytes", "process_resident_memory_bytes",
                            "process_start_time_seconds", "process_threads"})
    CHECK(has_line(om, std::string("# TYPE ") + gauge + " gauge"));

  const auto v = promcxx::process_collector::read();
  CHECK(sample_value(om, "process_start_time_seconds") == doctest::Approx(v.start_time_seconds));
  CHECK(sample_value(om, "process_max_fds") == v.max_fds);

  std::string text;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, text);
  CHECK(has_line(text, "# TYPE process_cpu_seconds_total counter"));
  CHECK(sample_value(text, "process_threads") >= 1);
}

TEST_CASE("process collector: removable from the default registry, usable in another") {
  auto& reg = promcxx::default_registry();
  reg.remove(promcxx::process_collector::instance());
  std::string out;
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, out);
  CHECK(out.find("process_") == std::string::npos);
  reg.add(promcxx::process_collector::instance());
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, out);
  CHECK(out.find("process_threads ") != std::string::npos);

  promcxx::registry mine;
  promcxx::process_collector process{mine};
  promcxx::render(mine, promcxx::exposition_format::openmetrics_1_0_0, out);
  CHECK(out.find("process_open_fds ") != std::string::npos);
  CHECK(out.ends_with("# EOF\n"));
}

} // namespace
