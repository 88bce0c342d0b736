// Binding, configuration errors, port reporting, clean shutdown and descriptor hygiene.
#include <doctest/doctest.h>

#include "support.hpp"

#include <promcxx/http_server.hpp>

#include <csignal>  // kill, sigtimedwait
#include <system_error>

using namespace http_test;
using promcxx::detail::http_engine;
using promcxx::detail::http_engine_config;

namespace {

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

bool connect_refused(std::uint16_t port) {
  try {
    client c{port};
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

} // namespace

TEST_CASE("lifecycle: port 0 picks a free port and reports it") {
  fake_server a;
  fake_server b;
  CHECK(a.port() != 0);
  CHECK(b.port() != 0);
  CHECK(a.port() != b.port());
  const auto r = fetch(a.port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("lifecycle: IPv6 loopback") {
  if (!ipv6_loopback_available()) {
    MESSAGE("no IPv6 loopback here; skipped");
    return;
  }
  fake_handler handler;
  http_engine engine{"[::1]:0", {}, handler};
  client c{engine.port(), true};
  REQUIRE(c.send(get_request("/metrics")));
  const auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("lifecycle: a port in use throws system_error naming the address") {
  fake_server first;
  fake_handler handler;
  const auto address = "127.0.0.1:" + std::to_string(first.port());
  try {
    http_engine second{address, {}, handler};
    FAIL("bound a port already in use");
  } catch (const std::system_error& e) {
    CHECK(e.code() == std::errc::address_in_use);
    CHECK(std::string(e.what()).find(address) != std::string::npos);
  }
}

TEST_CASE("lifecycle: bad configuration throws invalid_argument") {
  fake_handler handler;
  CHECK_THROWS_AS(http_engine("127.0.0.1", {}, handler), std::invalid_argument);
  CHECK_THROWS_AS(http_engine("nohost:80", {}, handler), std::invalid_argument);
  http_engine_config config;
  config.path = "metrics";
  CHECK_THROWS_AS(http_engine("127.0.0.1:0", config, handler), std::invalid_argument);
  config = {};
  config.max_connections = 0;
  CHECK_THROWS_AS(http_engine("127.0.0.1:0", config, handler), std::invalid_argument);
  config = {};
  config.read_timeout = std::chrono::milliseconds{0};
  CHECK_THROWS_AS(http_engine("127.0.0.1:0", config, handler), std::invalid_argument);
}

TEST_CASE("lifecycle: stop closes the listener and every connection, and is idempotent") {
  fake_server s;
  const auto port = s.port();
  client idle{port};
  client half{port};
  REQUIRE(half.send("GET /metrics HTTP/1.1\r\n"));
  client served{port};
  REQUIRE(served.send(get_request("/metrics")));
  REQUIRE(served.read_response());
  s.engine.stop();
  s.engine.stop();
  CHECK(idle.wait_closed());
  CHECK(half.wait_closed());
  CHECK(served.wait_closed());
  CHECK(connect_refused(port));
  CHECK(s.engine.port() == port);
}

TEST_CASE("lifecycle: the same port can be bound again right after stop") {
  fake_handler handler;
  std::uint16_t port = 0;
  {
    http_engine engine{"127.0.0.1:0", {}, handler};
    port = engine.port();
    const auto r = fetch(port, get_request("/metrics"));  // leaves a TIME_WAIT behind
    REQUIRE(r);
  }
  http_engine again{"127.0.0.1:" + std::to_string(port), {}, handler};
  CHECK(again.port() == port);
  const auto r = fetch(port, get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("lifecycle: start/stop cycles with open connections leak no descriptors") {
  const auto before = open_fd_count();
  for (int i = 0; i < 20; ++i) {
    fake_server s;
    std::vector<client> clients;
    for (int j = 0; j < 5; ++j) clients.emplace_back(s.port());
    REQUIRE(clients.front().send(get_request("/metrics")));
    REQUIRE(clients.front().read_response());
    REQUIRE(clients.back().send("GET /metr"));
    s.engine.stop();
  }
  CHECK(open_fd_count() == before);
}

TEST_CASE("lifecycle: the responder thread leaves process signals to the application") {
  // A SIGUSR1 sent to the process must reach a thread of the application (here the
  // test thread waiting in sigwait), never be swallowed by the responder thread.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigset_t previous;
  REQUIRE(pthread_sigmask(SIG_BLOCK, &usr1, &previous) == 0);
  {
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);  // the engine thread inherits an empty mask...
    fake_server s;
    pthread_sigmask(SIG_BLOCK, &usr1, nullptr);  // ...and must block signals itself
    REQUIRE(fetch(s.port(), get_request("/metrics")));
    REQUIRE(::kill(::getpid(), SIGUSR1) == 0);
    const timespec limit{5, 0};
    CHECK(sigtimedwait(&usr1, nullptr, &limit) == SIGUSR1);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

TEST_CASE("lifecycle: http_server::start reports bad options and a taken port instead of throwing") {
  fake_server first;
  std::string error;
  promcxx::http_server_options options;
  options.listen = "127.0.0.1:" + std::to_string(first.port());
  CHECK(promcxx::http_server::start(options, error) == nullptr);
  CHECK(error.find("cannot listen on " + options.listen) != std::string::npos);
  CHECK(error.find(std::make_error_code(std::errc::address_in_use).message()) != std::string::npos);

  options.listen = "127.0.0.1";
  CHECK(promcxx::http_server::start(options, error) == nullptr);
  CHECK(error.find("bad listen address") != std::string::npos);

  options.listen = "127.0.0.1:0";
  options.path = "metrics";
  CHECK(promcxx::http_server::start(options, error) == nullptr);
  CHECK(error.find("path must start with '/'") != std::string::npos);

  options.path = "/metrics";
  options.basic_auth_user = "a:b";
  CHECK(promcxx::http_server::start(options, error) == nullptr);
  CHECK(error.find("basic_auth_user must not contain ':'") != std::string::npos);

  options.basic_auth_user.clear();
  auto server = promcxx::http_server::start(options, error);
  REQUIRE(server != nullptr);
  CHECK(error.empty());
  const auto r = fetch(server->port(), get_request("/metrics"));
  REQUIRE(r);
  CHECK(r->status == 200);
}
