// Every status code the responder produces, over real loopback sockets.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace http_test;
using promcxx::detail::http_engine_config;

TEST_CASE("status: GET /metrics is 200 with the body, its type and an exact Content-Length") {
  fake_server s{{}, "a 1\nb 2\n"};
  const auto r = fetch(s.port(), get_request("/metrics", "Accept: text/plain\r\n"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->version == "HTTP/1.1");
  CHECK(r->body == "a 1\nb 2\n");
  CHECK(r->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r->header("Content-Length") == "8");
  CHECK(r->header_count("Content-Length") == 1);
  CHECK_FALSE(r->header("Content-Encoding"));
  CHECK(s.handler.last_accept() == "text/plain");
  CHECK(s.handler.count(200) == 1);
  CHECK(s.handler.scrapes.load() == 1);
}

TEST_CASE("status: the query string is ignored and absent Accept is passed as empty") {
  fake_server s;
  const auto r = fetch(s.port(), get_request("/metrics?name[]=x&y"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(s.handler.last_accept().empty());
}

TEST_CASE("status: HEAD has the GET headers and no body") {
  fake_server s{{}, std::string(1000, 'x')};
  client c{s.port()};
  REQUIRE(c.send("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto r = c.read_response(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("Content-Length") == "1000");
  // No body bytes were sent: the next response on the connection starts right away.
  REQUIRE(c.send(get_request("/healthz")));
  const auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(next->body == "ok\n");
}

TEST_CASE("status: other paths are 404") {
  fake_server s;
  for (const char* path : {"/", "/metricsx", "/metrics/", "/Metrics", "/%6detrics", "/favicon.ico"}) {
    CAPTURE(path);
    const auto r = fetch(s.port(), get_request(path));
    REQUIRE(r);
    CHECK(r->status == 404);
  }
  CHECK(s.handler.count(404) == 6);
  CHECK(s.handler.renders.load() == 0);
}

TEST_CASE("status: health endpoint") {
  SUBCASE("default /healthz") {
    fake_server s;
    const auto r = fetch(s.port(), get_request("/healthz"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "ok\n");
  }
  SUBCASE("disabled") {
    http_engine_config config;
    config.health_path.clear();
    fake_server s{config};
    const auto r = fetch(s.port(), get_request("/healthz"));
    REQUIRE(r);
    CHECK(r->status == 404);
  }
}

TEST_CASE("status: other methods are 405 with Allow") {
  fake_server s;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", "PATCH"}) {
    CAPTURE(method);
    const auto r = fetch(s.port(), std::string(method) + " /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->header("Allow") == "GET, HEAD");
  }
  CHECK(s.handler.renders.load() == 0);
}

TEST_CASE("status: malformed requests are 400 and close the connection") {
  fake_server s;
  using namespace std::string_literals;
  for (const std::string& bad : {"GET /metrics\r\n\r\n"s, "GET /metrics HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"s,
                                 "GET /metrics HTTP/1.1\r\n\r\n"s,
                                 "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s,  // a TLS ClientHello
                                 "GET /metrics HTTP/1.1\r\nHost: a\r\n continued\r\n\r\n"s}) {
    CAPTURE(bad);
    client c{s.port()};
    REQUIRE(c.send(bad));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->header("Connection") == "close");
    CHECK(c.wait_closed());
  }
}

TEST_CASE("status: over-long URI is 414") {
  fake_server s;
  const auto r = fetch(s.port(), get_request("/metrics?" + std::string(5000, 'q')));
  REQUIRE(r);
  CHECK(r->status == 414);
}

TEST_CASE("status: header section over the limit is 431") {
  fake_server s;
  SUBCASE("one huge field") {
    const auto r = fetch(s.port(), get_request("/metrics", "X-Big: " + std::string(9000, 'b') + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 431);
  }
  SUBCASE("many fields") {
    std::string fields;
    for (int i = 0; i < 150; ++i) fields += "X-F: " + std::to_string(i) + "\r\n";
    const auto r = fetch(s.port(), get_request("/metrics", fields));
    REQUIRE(r);
    CHECK(r->status == 431);
  }
  SUBCASE("answered before the client finishes sending") {
    client c{s.port()};
    REQUIRE(c.send("GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(20000, 'b')));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 431);
  }
}

TEST_CASE("status: 505, 501 and 413") {
  fake_server s;
  auto r = fetch(s.port(), "GET /metrics HTTP/2.0\r\nHost: a\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 505);
  r = fetch(s.port(), "POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 501);
  r = fetch(s.port(), "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 413);
}

TEST_CASE("status: a throwing body source is 500 and the server keeps serving") {
  fake_server s;
  s.handler.fail = true;
  auto r = fetch(s.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 500);
  s.handler.fail = false;
  r = fetch(s.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("status: basic auth") {
  http_engine_config config;
  config.basic_auth = "prom:s3cret";
  fake_server s{config};
  SUBCASE("missing credentials: 401 with a challenge, connection kept") {
    client c{s.port()};
    REQUIRE(c.send(get_request("/metrics")));
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 401);
    const auto challenge = r->header("WWW-Authenticate");
    REQUIRE(challenge);
    CHECK(challenge->rfind("Basic realm=", 0) == 0);
    CHECK(s.handler.renders.load() == 0);
    // "prom:s3cret" in base64
    REQUIRE(c.send(get_request("/metrics", "Authorization: Basic cHJvbTpzM2NyZXQ=\r\n")));
    const auto ok = c.read_response();
    REQUIRE(ok);
    CHECK(ok->status == 200);
  }
  SUBCASE("wrong password, wrong user, wrong scheme") {
    for (const char* auth :
         {"Basic cHJvbTpzM2NyZXU=", "Basic cHJvTTpzM2NyZXQ=", "Bearer cHJvbTpzM2NyZXQ=", "Basic cHJvbTpzM2NyZXQ=x"}) {
      CAPTURE(auth);
      const auto r = fetch(s.port(), get_request("/metrics", "Authorization: " + std::string(auth) + "\r\n"));
      REQUIRE(r);
      CHECK(r->status == 401);
    }
  }
  SUBCASE("health is not authenticated, unknown paths stay 404") {
    auto r = fetch(s.port(), get_request("/healthz"));
    REQUIRE(r);
    CHECK(r->status == 200);
    r = fetch(s.port(), get_request("/other"));
    REQUIRE(r);
    CHECK(r->status == 404);
  }
}

TEST_CASE("status: over the connection limit is 503, not a hang") {
  http_engine_config config;
  config.max_connections = 2;
  fake_server s{config};
  client a{s.port()};
  client b{s.port()};
  REQUIRE(a.send("GET /metrics HTTP/1.1\r\n"));  // both slots held by unfinished requests
  REQUIRE(b.send("GET /metrics HTTP/1.1\r\n"));
  // The connection counts are updated by the server thread: wait until it saw both.
  REQUIRE(eventually([&] {
    client probe{s.port()};
    probe.send(get_request("/metrics"));
    const auto r = probe.read_response();
    return r && r->status == 503;
  }));
  const auto r = fetch(s.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Connection") == "close");
  CHECK(r->header("Retry-After") == "1");
  // The held connections still complete normally.
  REQUIRE(a.send("Host: a\r\n\r\n"));
  const auto ra = a.read_response();
  REQUIRE(ra);
  CHECK(ra->status == 200);
  // Freeing a slot lets new clients in again.
  { client gone = std::move(b); }
  CHECK(eventually([&] {
    const auto again = fetch(s.port(), get_request("/metrics"));
    return again && again->status == 200;
  }));
  CHECK(s.handler.count(503) >= 2);
}
