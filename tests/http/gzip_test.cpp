// Content coding: gzip when accepted (inflated with zlib here), identity otherwise.
#include <doctest/doctest.h>

#include "support.hpp"

#include <random>

using namespace http_test;

namespace {

std::string sample_body(std::size_t lines) {
  std::string body;
  std::mt19937 rng{42};
  for (std::size_t i = 0; i < lines; ++i)
    body += "demo_series_total{shard=\"" + std::to_string(i) + "\"} " + std::to_string(rng()) + "\n";
  return body;
}

} // namespace

TEST_CASE("gzip: no Accept-Encoding, identity, q=0 and unknown codings get identity") {
  const auto body = sample_body(50);
  fake_server s{{}, body};
  for (const char* header : {"", "Accept-Encoding: identity\r\n", "Accept-Encoding: gzip;q=0\r\n",
                             "Accept-Encoding: br, deflate\r\n", "Accept-Encoding: gzip;q=0, *;q=1\r\n"}) {
    CAPTURE(header);
    const auto r = fetch(s.port(), get_request("/metrics", header));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK_FALSE(r->header("Content-Encoding"));
    CHECK(r->body == body);
  }
}

#if PROMCXX_HAS_ZLIB

TEST_CASE("gzip: accepted gzip round-trips through zlib inflate") {
  const auto body = sample_body(2000);
  fake_server s{{}, body};
  for (const char* header : {"Accept-Encoding: gzip\r\n", "Accept-Encoding: deflate, gzip;q=0.9\r\n",
                             "Accept-Encoding: *\r\n", "Accept-Encoding: identity;q=0.5, gzip\r\n"}) {
    CAPTURE(header);
    const auto r = fetch(s.port(), get_request("/metrics", header));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Content-Encoding") == "gzip");
    CHECK(r->header("Content-Length") == std::to_string(r->body.size()));
    CHECK(r->body.size() < body.size());
    CHECK(r->header("Vary") == "Accept, Accept-Encoding");
    CHECK(gunzip(r->body) == body);
  }
}

TEST_CASE("gzip: repeated scrapes on one connection reuse the compressor correctly") {
  fake_server s;
  client c{s.port()};
  for (std::size_t n : {10u, 5000u, 1u, 300u}) {
    const auto body = sample_body(n);
    s.handler.set_body(body);
    REQUIRE(c.send(get_request("/metrics", "Accept-Encoding: gzip\r\n")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(gunzip(r->body) == body);
  }
}

TEST_CASE("gzip: HEAD reports the compressed length") {
  const auto body = sample_body(300);
  fake_server s{{}, body};
  client c{s.port()};
  REQUIRE(c.send(get_request("/metrics", "Accept-Encoding: gzip\r\n")));
  const auto get = c.read_response();
  REQUIRE(get);
  REQUIRE(c.send("HEAD /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"));
  const auto head = c.read_response(true);
  REQUIRE(head);
  CHECK(head->header("Content-Encoding") == "gzip");
  CHECK(head->header("Content-Length") == std::to_string(get->body.size()));
}

TEST_CASE("gzip: empty body") {
  fake_server s{{}, ""};
  const auto r = fetch(s.port(), get_request("/metrics", "Accept-Encoding: gzip\r\n"));
  REQUIRE(r);
  CHECK(r->header("Content-Encoding") == "gzip");
  CHECK(gunzip(r->body).empty());
}

#else

TEST_CASE("gzip: without zlib, gzip requests get identity") {
  fake_server s{{}, "x 1\n"};
  const auto r = fetch(s.port(), get_request("/metrics", "Accept-Encoding: gzip\r\n"));
  REQUIRE(r);
  CHECK_FALSE(r->header("Content-Encoding"));
  CHECK(r->body == "x 1\n");
}

#endif
