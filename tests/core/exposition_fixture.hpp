// A realistic registry with hostile inputs, shared by the golden-file test and
// the promtool check (tests/core/exposition_dump.cpp).
#ifndef PROMCXX_TEST_EXPOSITION_FIXTURE_HPP
#define PROMCXX_TEST_EXPOSITION_FIXTURE_HPP

#include <promcxx.hpp>

#include <limits>

namespace fixture {

struct metrics {
  promcxx::registry reg;
  promcxx::counter<"http_requests_total", "HTTP requests by code and path.", promcxx::labels<"code", "path">> requests{reg};
  promcxx::gauge<"queue_depth", "Help with \\ backslash and\nnewline and \"quotes\"."> queue{reg};
  promcxx::gauge<"temperature_celsius", "Special values.", promcxx::labels<"sensor">> temperature{reg};
  promcxx::histogram<"request_duration_seconds", "Request latency.", promcxx::labels<"method">> duration{reg};
  promcxx::histogram<"payload_bytes", "Payload sizes.", promcxx::exponential_buckets<100, 10, 5>> payload{reg};
  promcxx::counter<"transactions_total", "Transactions by state.", promcxx::labels<"state">,
                   promcxx::label_values<"state", "pending", "signed", "failed">>
      transactions{reg};

  metrics() {
    reg.set_const_labels({{"node_id", "node-1"}});
    requests.labels("200", "/metrics").inc(1234567);
    requests.labels("404", "/a\"quoted\"\\path\nwith newline").inc();
    requests.labels("500", "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80").inc(0.5);
    queue.set(-0.0001);
    temperature.labels("nan").set(std::numeric_limits<double>::quiet_NaN());
    temperature.labels("plus_inf").set(std::numeric_limits<double>::infinity());
    temperature.labels("minus_inf").set(-std::numeric_limits<double>::infinity());
    temperature.labels("tiny").set(1e-05);
    temperature.labels("big").set(17560473);
    temperature.labels("exact").set(0.30000000000000004);
    for (const double v : {0.003, 0.02, 0.02, 0.3, 4.0, 12.0}) duration.labels("GET").observe(v);
    duration.labels("POST").observe(0.75);
    for (const double v : {50.0, 150.0, 5000.0, 2e6}) payload.observe(v);
    transactions.with<"signed">().inc(3);
  }
};

} // namespace fixture

#endif // PROMCXX_TEST_EXPOSITION_FIXTURE_HPP
