// The smallest complete promcxx program: three metrics served on /metrics.
#include <chrono>
#include <thread>

#include <promcxx.hpp>
#include <promcxx/http_server.hpp>

promcxx::counter<"hello_requests_total", "Requests handled."> requests;
promcxx::gauge<"hello_queue_length", "Jobs waiting."> queue_length;
promcxx::histogram<"hello_request_duration_seconds", "Request latency.",
                   promcxx::buckets<"0.01", "0.1", "1">> latency;

int main() {
  promcxx::http_server server;  // http://127.0.0.1:9464/metrics
  for (int i = 0;; ++i) {
    requests.inc();
    queue_length.set(i % 10);
    latency.observe(0.05);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
