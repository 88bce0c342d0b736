// Connection reuse: keep-alive, pipelining, HTTP/1.0 and Connection: close.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace http_test;

TEST_CASE("keepalive: several requests on one HTTP/1.1 connection") {
  fake_server s;
  client c{s.port()};
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.send(get_request("/metrics")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK_FALSE(r->header("Connection"));
  }
  CHECK(s.handler.count(200) == 5);
}

TEST_CASE("keepalive: pipelined requests are answered in order") {
  fake_server s{{}, "body\n"};
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics") + get_request("/nope") + "HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n" +
                 "DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n" + get_request("/healthz")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "body\n");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 404);
  r = c.read_response(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Content-Length") == "5");
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 405);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "ok\n");
}

TEST_CASE("keepalive: a long pipeline with large responses (partial writes) stays in order") {
  fake_server s{{}, std::string(100'000, 'm')};
  client c{s.port()};
  std::string batch;
  for (int i = 0; i < 60; ++i) batch += get_request(i % 3 == 2 ? "/healthz" : "/metrics");
  REQUIRE(c.send(batch));
  for (int i = 0; i < 60; ++i) {
    CAPTURE(i);
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() == (i % 3 == 2 ? 3u : 100'000u));
  }
}

TEST_CASE("keepalive: a request split into single bytes is still answered") {
  fake_server s;
  client c{s.port()};
  for (const char ch : get_request("/metrics")) REQUIRE(c.send(std::string_view{&ch, 1}));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("keepalive: HTTP/1.0 closes after the response") {
  fake_server s;
  client c{s.port()};
  REQUIRE(c.send("GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Connection") == "close");
  CHECK(c.wait_closed());
}

TEST_CASE("keepalive: Connection: close is honoured, requests after it are not answered") {
  fake_server s;
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics", "Connection: close\r\n") + get_request("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Connection") == "close");
  CHECK(c.wait_closed());
  CHECK(c.unread().empty());
  CHECK(s.handler.count(200) == 1);
}

TEST_CASE("keepalive: a request body is skipped and the next request is read") {
  fake_server s;
  client c{s.port()};
  REQUIRE(
      c.send("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world" + get_request("/metrics")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 405);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("keepalive: empty lines before a request are ignored") {
  fake_server s;
  client c{s.port()};
  REQUIRE(c.send("\r\n\r\n" + get_request("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("keepalive: a client that half-closes after its requests gets every response") {
  fake_server s;
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics") + get_request("/metrics")));
  c.shutdown_write();
  for (int i = 0; i < 2; ++i) {
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(c.wait_closed());
}

TEST_CASE("keepalive: an error response stops the pipeline and closes") {
  fake_server s;
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics") + "BROKEN\r\n\r\n" + get_request("/metrics")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(c.wait_closed());
  CHECK(c.unread().empty());
}
