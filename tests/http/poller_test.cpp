// Which readiness API the responder runs on: epoll by default on Linux, poll()
// with PROMCXX_HTTP_POLL=1 (suite http-poll builds every HTTP test that way).
// Checked from the outside: the descriptors the running server holds.
#include <doctest/doctest.h>

#include "support.hpp"

#include <dirent.h>

#include <string>
#include <string_view>

using namespace http_test;

namespace {

// Counts this process's descriptors whose /proc link names `what`
// ("anon_inode:[eventpoll]", "anon_inode:[eventfd]", "pipe:").
std::size_t descriptors_named(std::string_view what) {
  std::size_t n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  while (const dirent* entry = ::readdir(dir)) {
    char target[256];
    const std::string path = std::string{"/proc/self/fd/"} + entry->d_name;
    const auto len = ::readlink(path.c_str(), target, sizeof target - 1);
    if (len > 0 && std::string_view{target, static_cast<std::size_t>(len)}.starts_with(what)) ++n;
  }
  ::closedir(dir);
  return n;
}

} // namespace

TEST_CASE("poller: the engine named by PROMCXX_HTTP_POLL is the one serving") {
  const auto epolls = descriptors_named("anon_inode:[eventpoll]");
  const auto pipes = descriptors_named("pipe:");
  fake_server server;
  const auto r = fetch(server.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
#if PROMCXX_HTTP_POLL
  CHECK(std::string_view{promcxx::detail::http_poller::kind} == "poll");
  CHECK(descriptors_named("anon_inode:[eventpoll]") == epolls);
  CHECK(descriptors_named("pipe:") == pipes + 2);  // the wake-up pipe
#else
  CHECK(std::string_view{promcxx::detail::http_poller::kind} == "epoll");
  CHECK(descriptors_named("anon_inode:[eventpoll]") == epolls + 1);
  CHECK(descriptors_named("pipe:") == pipes);
#endif
}

TEST_CASE("poller: many connections at once are all served (more ready sockets than one wait returns)") {
  fake_server server;
  std::vector<client> clients;
  clients.reserve(100);
  for (int i = 0; i < 100; ++i) clients.emplace_back(server.port());
  for (auto& c : clients) c.send(get_request("/metrics"));
  for (auto& c : clients) {
    const auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}
