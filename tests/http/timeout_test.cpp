// Slow and stalled clients: read, idle and write-stall timeouts; slowloris.
// Timing bounds here are deliberately generous: they only separate "promptly"
// from "blocked until some timeout", never measure performance.
#include <doctest/doctest.h>

#include "support.hpp"

#include <vector>

using namespace http_test;
using promcxx::detail::http_engine_config;

TEST_CASE("timeout: a fresh scrape succeeds promptly while 50 clients hold half-sent requests") {
  http_engine_config config;
  config.read_timeout = std::chrono::seconds{60};  // the slow clients must still be there
  fake_server s{config};
  std::vector<client> slow;
  for (int i = 0; i < 50; ++i) {
    slow.emplace_back(s.port());
    REQUIRE(slow.back().send("GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: text/pl"));
  }
  const auto start = std::chrono::steady_clock::now();
  client fresh{s.port()};
  REQUIRE(fresh.send(get_request("/metrics")));
  const auto r = fresh.read_response(false, 2000ms);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  // The slow clients were held, not dropped: they finish and are served.
  for (auto& c : slow) {
    REQUIRE(c.send("ain\r\n\r\n"));
    const auto rs = c.read_response();
    REQUIRE(rs);
    CHECK(rs->status == 200);
  }
  CHECK(s.handler.count(200) == 51);
}

TEST_CASE("timeout: a half-sent request gets 408 and is closed after read_timeout") {
  http_engine_config config;
  config.read_timeout = 200ms;
  fake_server s{config};
  client c{s.port()};
  REQUIRE(c.send("GET /metrics HTTP/1.1\r\nHo"));
  CHECK(c.wait_closed(10s));
  const auto r = c.read_response(false, 100ms);
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(s.handler.count(408) == 1);
}

TEST_CASE("timeout: trickling bytes does not extend the read timeout") {
  http_engine_config config;
  config.read_timeout = 300ms;
  fake_server s{config};
  client c{s.port()};
  bool closed = false;
  // One header byte every 50 ms would take 10 s; the server must cut it off at ~300 ms.
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Slow: " + std::string(200, 'z');
  for (std::size_t i = 0; i < head.size() && !closed; ++i) {
    if (!c.send(std::string_view{&head[i], 1})) break;
    closed = c.wait_closed(50ms);
  }
  CHECK((closed || c.wait_closed(5s)));
  const auto r = c.read_response(false, 100ms);
  REQUIRE(r);
  CHECK(r->status == 408);
}

TEST_CASE("timeout: a connection that never sends is closed after read_timeout without a response") {
  http_engine_config config;
  config.read_timeout = 200ms;
  fake_server s{config};
  client c{s.port()};
  CHECK(c.wait_closed(10s));
  CHECK(c.unread().empty());
}

TEST_CASE("timeout: an idle keep-alive connection is closed after idle_timeout") {
  http_engine_config config;
  config.idle_timeout = 200ms;
  fake_server s{config};
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.wait_closed(10s));
  CHECK(c.unread().empty());  // closed silently, no 408 for an idle connection
}

TEST_CASE("timeout: a client that stops reading a large response is dropped; others are served meanwhile") {
  http_engine_config config;
  config.read_timeout = 300ms;
  const std::size_t body_size = 16u << 20;  // far more than the socket buffers hold
  fake_server s{config, std::string(body_size, 'x')};
  client stalled{s.port(), false, 64 * 1024};
  REQUIRE(stalled.send(get_request("/metrics")));
  // While the server waits on the stalled reader, another scrape goes through.
  REQUIRE(eventually([&] { return s.handler.renders.load() == 1; }));
  s.handler.set_body("small 1\n");
  const auto r = fetch(s.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "small 1\n");
  // Not reading for well over read_timeout: the server gives up on the connection,
  // so draining now ends in EOF or a reset instead of the rest of the body.
  std::this_thread::sleep_for(1500ms);
  CHECK(stalled.wait_closed(10s));
  CHECK(stalled.unread().size() < body_size);
}
