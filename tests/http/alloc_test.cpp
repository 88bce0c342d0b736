// The responder's own steady state allocates nothing: buffers are per server
// or per connection and keep their capacity. Counted with a replaced global
// operator new, only on threads other than the test's (the responder's thread).
#include <doctest/doctest.h>

#include "support.hpp"

#include "alloc_counter.hpp"  // tests/support: counting global operator new

namespace {
// Allocations made by every thread but the calling (test) thread: the responder's.
std::uint64_t responder_allocations() {
  return promcxx_test::allocations() - promcxx_test::thread_allocations();
}
} // namespace

using namespace http_test;

TEST_CASE("alloc: keep-alive scrapes allocate nothing in the responder thread once warmed up") {
  fake_server s{{}, std::string(20'000, 'm')};
  for (const char* encoding : {"", "Accept-Encoding: gzip\r\n"}) {
    CAPTURE(encoding);
    client c{s.port()};
    const auto request = get_request("/metrics", encoding);
    for (int i = 0; i < 10; ++i) {  // warm-up: buffers reach their working size
      REQUIRE(c.send(request));
      REQUIRE(c.read_response());
    }
    const auto before = responder_allocations();
    for (int i = 0; i < 200; ++i) {
      REQUIRE(c.send(request));
      const auto r = c.read_response();
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
    CHECK(responder_allocations() - before == 0);
  }
}

TEST_CASE("alloc: the counter works (a new connection does allocate)") {
  fake_server s;
  REQUIRE(fetch(s.port(), get_request("/metrics")));
  const auto before = responder_allocations();
  REQUIRE(fetch(s.port(), get_request("/metrics")));
  CHECK(responder_allocations() > before);
}
