// Scope timers and in-flight tracking.
#include <chrono>
#include <string>
#include <thread>

#include <promcxx.hpp>
#include <promcxx/timer.hpp>

promcxx::histogram<"request_duration_seconds", "Time spent serving requests.", promcxx::labels<"method">> latency;
promcxx::gauge<"requests_in_flight", "Requests being served."> in_flight;
promcxx::gauge<"last_compaction_duration_seconds", "Duration of the last compaction."> compaction;

void serve(const std::string& method) {
  auto t = promcxx::start_timer(latency.labels(method));  // observes on scope exit
  auto g = promcxx::track_inprogress(in_flight);          // +1 now, -1 on scope exit
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

int main() {
  serve("get");
  {
    auto t = promcxx::start_timer(compaction);  // a gauge is set to the duration
    const double seconds = t.stop();           // or record early, once
    static_cast<void>(seconds);
  }
  std::string out;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, out);
  return out.find("request_duration_seconds_count{method=\"get\"} 1") == std::string::npos;
}
