// The responder's own steady state allocates nothing: buffers are per server
// or per connection and keep their capacity. Counted with a replaced global
// operator new, only on threads other than the test's (the responder's thread).
#include <doctest/doctest.h>

#include "support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
const std::thread::id test_thread = std::this_thread::get_id();
std::atomic<long> responder_allocations{0};
} // namespace

void* operator new(std::size_t n) {
  if (std::this_thread::get_id() != test_thread) responder_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
// noinline: once inlined, g++ 12 pairs the free() with `new` and warns (-Wmismatched-new-delete).
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

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
    const long before = responder_allocations.load();
    for (int i = 0; i < 200; ++i) {
      REQUIRE(c.send(request));
      const auto r = c.read_response();
      REQUIRE(r);
      REQUIRE(r->status == 200);
    }
    CHECK(responder_allocations.load() - before == 0);
  }
}

TEST_CASE("alloc: the counter works (a new connection does allocate)") {
  fake_server s;
  REQUIRE(fetch(s.port(), get_request("/metrics")));
  const long before = responder_allocations.load();
  REQUIRE(fetch(s.port(), get_request("/metrics")));
  CHECK(responder_allocations.load() > before);
}
