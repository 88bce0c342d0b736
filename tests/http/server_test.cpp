// promcxx::http_server serving a real registry: negotiation, self-metrics,
// concurrent scrapes while writers run, default registry.
#include <doctest/doctest.h>

#include <promcxx.hpp>
#include <promcxx/http_server.hpp>

#include "support.hpp"

#include <regex>
#include <thread>
#include <vector>

using namespace http_test;

namespace {

constexpr std::string_view prometheus_2_42_accept =
    "application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The value of the first sample line starting with `series` + ' ', or -1.
double sample_value(const std::string& body, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = body.find(series + ' ', pos)) != std::string::npos) {
    if (pos == 0 || body[pos - 1] == '\n') {
      const auto start = pos + series.size() + 1;
      return std::stod(body.substr(start, body.find('\n', start) - start));
    }
    ++pos;
  }
  return -1;
}

std::string scrape(std::uint16_t port, std::string_view extra = {}) {
  const auto r = fetch(port, get_request("/metrics", extra));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return r->body;
}

} // namespace

TEST_CASE("server: the three-line usage serves the default registry") {
  static promcxx::counter<"http_test_default_total", "A metric in the default registry."> hits;
  hits.inc(3);
  promcxx::http_server server{{.listen = "127.0.0.1:0"}};
  REQUIRE(server.port() != 0);
  const auto body = scrape(server.port());
  CHECK(sample_value(body, "http_test_default_total") == 3);
}

TEST_CASE("server: without Accept the text format 0.0.4 is served") {
  promcxx::registry reg;
  promcxx::gauge<"http_test_temperature_celsius", "A gauge."> g{reg};
  g.set(21.5);
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  const auto r = fetch(server.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(sample_value(r->body, "http_test_temperature_celsius") == 21.5);
  CHECK(r->header("Content-Length") == std::to_string(r->body.size()));
}

TEST_CASE("server: Prometheus 2.42's Accept header gets the negotiated format") {
  promcxx::registry reg;
  promcxx::counter<"http_test_events_total", "A counter."> c{reg};
  c.inc();
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  const auto r =
      fetch(server.port(), get_request("/metrics", "Accept: " + std::string(prometheus_2_42_accept) + "\r\n"));
  REQUIRE(r);
  const auto format = promcxx::negotiate(prometheus_2_42_accept);
  CHECK(r->header("Content-Type") == std::string(promcxx::content_type(format)));
  if (format == promcxx::exposition_format::openmetrics_1_0_0) {
    CHECK(r->header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8");
    CHECK(r->body.size() >= 6);
    CHECK(r->body.substr(r->body.size() - 6) == "# EOF\n");
  }
}

TEST_CASE("server: explicit text Accept and q=0 for OpenMetrics get text") {
  promcxx::registry reg;
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  for (const char* accept :
       {"text/plain;version=0.0.4", "application/openmetrics-text;q=0, text/plain", "application/json"}) {
    CAPTURE(accept);
    const auto r = fetch(server.port(), get_request("/metrics", "Accept: " + std::string(accept) + "\r\n"));
    REQUIRE(r);
    CHECK(r->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  }
}

TEST_CASE("server: its own request counter and scrape histogram are exposed in the registry it serves") {
  promcxx::registry reg;
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg, .max_connections = 8}};
  const auto port = server.port();
  for (int i = 0; i < 3; ++i) REQUIRE(fetch(port, get_request("/nope")));
  for (int i = 0; i < 2; ++i) REQUIRE(fetch(port, "POST /metrics HTTP/1.1\r\nHost: a\r\n\r\n"));
  REQUIRE(fetch(port, "GET /x HTTP/1.1\r\n\r\n"));  // no Host: 400
  for (int i = 0; i < 4; ++i) scrape(port);
  const auto body = scrape(port);  // the fifth scrape sees the four before it
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"404\"}") == 3);
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"405\"}") == 2);
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"400\"}") == 1);
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"200\"}") == 4);
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"500\"}") == 0);  // present from the start
  CHECK(sample_value(body, "promcxx_http_scrape_duration_seconds_count") == 4);
  CHECK(sample_value(body, "promcxx_http_scrape_duration_seconds_bucket{le=\"+Inf\"}") == 4);
  CHECK(sample_value(body, "promcxx_http_scrape_duration_seconds_sum") >= 0);
  CHECK(body.find("# TYPE promcxx_http_scrape_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("server: two servers on one registry share the self-metrics") {
  promcxx::registry reg;
  promcxx::http_server a{{.listen = "127.0.0.1:0", .registry = &reg}};
  promcxx::http_server b{{.listen = "127.0.0.1:0", .registry = &reg}};
  REQUIRE(fetch(a.port(), get_request("/nope")));
  REQUIRE(fetch(b.port(), get_request("/nope")));
  CHECK(sample_value(scrape(a.port()), "promcxx_http_requests_total{code=\"404\"}") == 2);
}

TEST_CASE("server: the self-metrics leave the registry with the server") {
  promcxx::registry reg;
  { promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}}; }
  std::string body;
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, body);
  CHECK(body.find("promcxx_http") == std::string::npos);
  promcxx::http_server again{{.listen = "127.0.0.1:0", .registry = &reg}};  // registers anew
  CHECK(again.port() != 0);
}

TEST_CASE("server: bad options throw with a clear message") {
  CHECK_THROWS_WITH_AS(promcxx::http_server({.listen = "localhost"}), doctest::Contains("\"localhost\""),
                       std::invalid_argument);
  CHECK_THROWS_AS(promcxx::http_server({.listen = "127.0.0.1:0", .path = "metrics"}), std::invalid_argument);
  CHECK_THROWS_AS(promcxx::http_server({.listen = "127.0.0.1:0", .basic_auth_user = "a:b"}), std::invalid_argument);
  promcxx::registry reg;
  promcxx::http_server first{{.listen = "127.0.0.1:0", .registry = &reg}};
  const auto taken = "127.0.0.1:" + std::to_string(first.port());
  CHECK_THROWS_WITH_AS(promcxx::http_server({.listen = taken, .registry = &reg}), doctest::Contains(taken.c_str()),
                       std::system_error);
}

TEST_CASE("server: basic auth through the options") {
  promcxx::registry reg;
  promcxx::http_server server{
      {.listen = "127.0.0.1:0", .registry = &reg, .basic_auth_user = "prom", .basic_auth_password = "s3cret"}};
  auto r = fetch(server.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 401);
  r = fetch(server.port(), get_request("/metrics", "Authorization: Basic cHJvbTpzM2NyZXQ=\r\n"));
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("server: concurrent scrapes while writers run; counts exact after join") {
  promcxx::registry reg;
  promcxx::counter<"http_test_work_total", "Work done by writers.", promcxx::labels<"writer">> work{reg};
  promcxx::histogram<"http_test_latency_seconds", "Writer latencies.", promcxx::buckets<"0.1", "1">> latency{reg};
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  const auto port = server.port();

  constexpr int writers = 4;
  constexpr int per_writer = 1'000'000;
  constexpr int scrapers = 4;
  constexpr int min_scrapes_each = 10;
  std::atomic<int> writers_left{writers};
  std::atomic<int> scrapes_done{0};
  std::atomic<int> scrapes_during_writes{0};
  std::atomic<int> bad_scrapes{0};
  std::atomic<int> non_monotonic{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      auto h = work.labels(std::to_string(w));
      for (int i = 0; i < per_writer; ++i) {
        h.inc();
        if (i % 100 == 0) latency.observe(0.5);
      }
      --writers_left;
    });
  }
  for (int s = 0; s < scrapers; ++s) {
    threads.emplace_back([&, s] {
      client c{port};  // keep-alive, like Prometheus
      double last = 0;
      // Scrape for as long as writers run (and at least a few times).
      for (int i = 0; i < min_scrapes_each || writers_left.load() > 0; ++i) {
        const bool writing = writers_left.load() > 0;
        const bool gzip = (s + i) % 2 == 0;
        if (!c.send(get_request("/metrics", gzip ? "Accept-Encoding: gzip\r\n" : ""))) {
          ++bad_scrapes;
          return;
        }
        const auto r = c.read_response();
        if (!r || r->status != 200) {
          ++bad_scrapes;
          return;
        }
        ++scrapes_done;
        if (writing) ++scrapes_during_writes;
#if PROMCXX_HAS_ZLIB
        const auto body = gzip ? gunzip(r->body) : r->body;
#else
        const auto& body = r->body;
#endif
        const auto v = sample_value(body, "http_test_work_total{writer=\"0\"}");
        if (v >= 0 && v < last) ++non_monotonic;
        if (v >= 0) last = v;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bad_scrapes.load() == 0);
  CHECK(non_monotonic.load() == 0);
  MESSAGE(scrapes_during_writes.load() << " of " << scrapes_done.load() << " scrapes overlapped the writers");
  const auto body = scrape(port);
  for (int w = 0; w < writers; ++w)
    CHECK(sample_value(body, "http_test_work_total{writer=\"" + std::to_string(w) + "\"}") == per_writer);
  CHECK(sample_value(body, "http_test_latency_seconds_count") == writers * per_writer / 100);
  CHECK(sample_value(body, "promcxx_http_requests_total{code=\"200\"}") == scrapes_done.load());
  CHECK(sample_value(body, "promcxx_http_scrape_duration_seconds_count") == scrapes_done.load());
}
