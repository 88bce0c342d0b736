// Scrape target for prometheus_test.py: serves a few metrics with known values
// on 127.0.0.1:0, writes "port format" to argv[1], exits on SIGTERM/SIGINT
// (or by itself after 120 s, so a crashed test run leaves nothing behind).
#include <promcxx.hpp>
#include <promcxx/http_server.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

namespace {

promcxx::registry reg;
promcxx::counter<"promcxx_test_jobs_total", "Jobs processed by queue.", promcxx::labels<"queue">> jobs{reg};
promcxx::gauge<"promcxx_test_temperature_celsius", "A gauge with a fractional value."> temperature{reg};
promcxx::histogram<"promcxx_test_duration_seconds", "A histogram with three observations.",
                   promcxx::buckets<"0.5", "1", "5">, promcxx::unit<"seconds">>
    duration{reg};

// What Prometheus 2.42 sends (see shared exposition facts).
constexpr std::string_view prometheus_accept =
    "application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " PORT_FILE\n";
    return 2;
  }
  // Block the stop signals before the server thread starts so only sigtimedwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  jobs.labels("a").inc(7);
  jobs.labels("b").inc(2);
  temperature.set(42.5);
  for (const double v : {0.25, 0.75, 3.0}) duration.observe(v);

  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  const bool om = promcxx::negotiate(prometheus_accept) == promcxx::exposition_format::openmetrics_1_0_0;
  {
    const std::string tmp = std::string(argv[1]) + ".tmp";
    std::ofstream out{tmp};
    out << server.port() << ' ' << (om ? "openmetrics" : "text") << '\n';
    out.close();
    std::rename(tmp.c_str(), argv[1]);  // the reader never sees a half-written file
  }
  const timespec limit{120, 0};
  sigtimedwait(&stop_signals, nullptr, &limit);
  server.stop();
  return 0;
}
