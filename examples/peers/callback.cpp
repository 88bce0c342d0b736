// Values computed at scrape time.
#include <cstdio>
#include <deque>
#include <string>

#include <promcxx.hpp>
#include <promcxx/callback.hpp>

int main() {
  std::deque<int> queue{1, 2, 3};
  std::uint64_t bytes_read = 4096;

  promcxx::registry reg;
  promcxx::gauge_func<"work_queue_depth", "Items waiting in the work queue."> depth{
      reg, [&] { return queue.size(); }};
  promcxx::counter_func<"disk_read_bytes_total", "Bytes read, by disk.", promcxx::labels<"disk">> read{
      reg, [&](auto& out) {
        out(bytes_read, "sda");
        out(0, "sdb");
      }};
  // Names known only at run time (from configuration, say).
  const std::string name = "plugin_temperature_celsius";
  promcxx::callback_family temperature{reg, promcxx::metric_type::gauge, name, "Temperature reported by the plugin.",
                                       [] { return 21.5; }};

  std::string out;
  promcxx::render(reg, promcxx::exposition_format::openmetrics_1_0_0, out);
  std::fputs(out.c_str(), stdout);
}
