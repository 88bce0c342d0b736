// Windows proof of the HTTP responder (issue 14): the WSAPoll engine serves a
// registry on 127.0.0.1 (port picked at run time) and a blocking WinSock client
// in this same process scrapes it over real loopback connections. Cross-compiled
// with MinGW-w64 and run under wine64 by tests/cmake/windows/check. Also builds
// on Linux (POSIX client), where the same cases run against epoll.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx/http_server.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#if defined(_WIN32)
#include <winsock2.h>  // already included by the server; named for the client below
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>  // timeval: SO_RCVTIMEO
#include <unistd.h>
#endif

namespace {

using promcxx::detail::socket_handle;
using promcxx::detail::unique_fd;

struct response {
  int status = 0;
  std::string head;  // status line and header lines
  std::string body;

  /// The value of header `name` (exact case as the server writes it), or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const {
    const std::string key = "\r\n" + std::string(name) + ": ";
    const auto at = head.find(key);
    if (at == std::string::npos) return {};
    const auto from = at + key.size();
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

/// A blocking loopback client; every read waits at most 10 s, so a server that
/// never answers fails the test instead of hanging it.
class client {
 public:
  /// receive_buffer > 0 pins SO_RCVBUF before connecting, so the server's writes hit a full window.
  explicit client(std::uint16_t port, int receive_buffer = 0) {
    REQUIRE(promcxx::detail::winsock_started());
    fd_.reset(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    REQUIRE(static_cast<bool>(fd_));
    if (receive_buffer > 0)
      ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&receive_buffer),
                   sizeof receive_buffer);
#if defined(_WIN32)
    const DWORD timeout_ms = 10'000;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&timeout_ms), sizeof timeout_ms);
#else
    const timeval timeout{10, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
#endif
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }

  [[nodiscard]] bool connected() const noexcept { return connected_; }

  void send_all(std::string_view data) {
    while (!data.empty()) {
      const auto n = promcxx::detail::socket_send(fd_.get(), data.data(), data.size(), 0);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Reads one response (Content-Length framed; no body for HEAD). status 0: none came.
  response read_response(bool head_request = false) {
    response r;
    std::size_t end = std::string::npos;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    r.head = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    if (r.head.size() >= 12 && r.head.starts_with("HTTP/1.1 ")) r.status = std::stoi(r.head.substr(9, 3));
    const std::string length_text = r.header("Content-Length");
    const std::size_t length = head_request || length_text.empty() ? 0 : std::stoul(length_text);
    while (buffer_.size() < length)
      if (!fill()) break;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, r.body.size());
    return r;
  }

  /// True when the server closes the connection (EOF) with no further bytes.
  bool closed_by_server() { return buffer_.empty() && !fill() && buffer_.empty() && eof_; }

 private:
  bool fill() {
    char chunk[4096];
    const auto n = promcxx::detail::socket_recv(fd_.get(), chunk, sizeof chunk);
    if (n <= 0) {
      eof_ = n == 0;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  unique_fd fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

/// One request on a fresh connection that the server closes after answering.
response fetch(std::uint16_t port, std::string_view method, std::string_view path, std::string_view extra = {}) {
  client c{port};
  REQUIRE(c.connected());
  c.send_all(std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra) +
             "Connection: close\r\n\r\n");
  auto r = c.read_response(method == "HEAD");
  CHECK(c.closed_by_server());
  return r;
}

struct served_registry {
  promcxx::registry registry;
  promcxx::counter<"win_http_orders_total", "Orders counted on Windows.", promcxx::labels<"side">> orders{registry};
  promcxx::gauge<"win_http_queue_depth", "Queue depth."> depth{registry};

  served_registry() {
    orders.labels("buy").inc(3);
    orders.labels("sell").inc();
    depth.set(7.5);
  }
};

promcxx::http_server_options options_for(promcxx::registry& r) {
  promcxx::http_server_options o;
  o.listen = "127.0.0.1:0";  // the port is picked at run time
  o.registry = &r;
  return o;
}

} // namespace

TEST_CASE("windows http: GET /metrics over loopback returns the registry in the text format") {
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  REQUIRE(server.port() != 0);
  const auto r = fetch(server.port(), "GET", "/metrics");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
  CHECK(r.body.find("# TYPE win_http_orders_total counter\n") != std::string::npos);
  CHECK(r.body.find("win_http_orders_total{side=\"buy\"} 3\n") != std::string::npos);
  CHECK(r.body.find("win_http_orders_total{side=\"sell\"} 1\n") != std::string::npos);
  CHECK(r.body.find("win_http_queue_depth 7.5\n") != std::string::npos);
}

TEST_CASE("windows http: OpenMetrics is negotiated from Accept") {
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  const auto r = fetch(server.port(), "GET", "/metrics", "Accept: application/openmetrics-text;version=1.0.0\r\n");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type").starts_with("application/openmetrics-text; version=1.0.0"));
  CHECK(r.body.find("win_http_orders_total{side=\"buy\"} 3") != std::string::npos);
  CHECK(r.body.ends_with("# EOF\n"));
}

TEST_CASE("windows http: unknown paths get 404, HEAD gets headers only, wrong methods 405") {
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  const auto missing = fetch(server.port(), "GET", "/nope");
  CHECK(missing.status == 404);
  CHECK(missing.body == "Not Found\n");

  const auto get = fetch(server.port(), "GET", "/metrics");
  const auto head = fetch(server.port(), "HEAD", "/metrics");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Type") == get.header("Content-Type"));
  // The self-metrics change between the two scrapes, so the length is close, not equal.
  const auto head_length = std::stod(head.header("Content-Length"));
  CHECK(head_length == doctest::Approx(static_cast<double>(get.body.size())).epsilon(0.05));
  CHECK(head.body.empty());  // fetch() also checked that nothing followed the headers
  const auto health_head = fetch(server.port(), "HEAD", "/healthz");
  CHECK(health_head.header("Content-Length") == "3");
  CHECK(health_head.body.empty());

  const auto post = fetch(server.port(), "POST", "/metrics", "Content-Length: 0\r\n");
  CHECK(post.status == 405);
  CHECK(post.header("Allow") == "GET, HEAD");

  const auto health = fetch(server.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");

  // The server's own counter saw the 404 (it serves its self-metrics from the same registry).
  const auto after = fetch(server.port(), "GET", "/metrics");
  CHECK(after.body.find("promcxx_http_requests_total{code=\"404\"} 1\n") != std::string::npos);
}

TEST_CASE("windows http: gzip") {
#if PROMCXX_HAS_ZLIB
  MESSAGE("built with zlib: gzip is covered by the Linux suites, not here");
#else
  // The Windows build has no zlib: a client asking for gzip gets the identity body.
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  const auto r = fetch(server.port(), "GET", "/metrics", "Accept-Encoding: gzip\r\n");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Encoding").empty());
  CHECK(r.body.find("win_http_queue_depth 7.5\n") != std::string::npos);
#endif
}

TEST_CASE("windows http: keep-alive and pipelined requests on one connection") {
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  client c{server.port()};
  REQUIRE(c.connected());
  c.send_all("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto first = c.read_response();
  CHECK(first.status == 200);
  CHECK(first.header("Connection").empty());  // kept open
  // Two requests in one write: both answered in order, then the connection closes.
  c.send_all("GET /nope HTTP/1.1\r\nHost: a\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  const auto second = c.read_response();
  const auto third = c.read_response(true);
  CHECK(second.status == 404);
  CHECK(third.status == 200);
  CHECK(third.header("Connection") == "close");
  CHECK(c.closed_by_server());
}

TEST_CASE("windows http: half a request gets 408 after read_timeout") {
  served_registry s;
  auto o = options_for(s.registry);
  o.read_timeout = std::chrono::milliseconds{300};
  promcxx::http_server server{o};
  client c{server.port()};
  REQUIRE(c.connected());
  c.send_all("GET /metrics HTTP/1.1\r\nHost: a\r\n");  // never finished
  const auto r = c.read_response();
  CHECK(r.status == 408);
  CHECK(c.closed_by_server());
}

TEST_CASE("windows http: connections over max_connections get 503") {
  served_registry s;
  auto o = options_for(s.registry);
  o.max_connections = 1;
  promcxx::http_server server{o};
  client held{server.port()};
  REQUIRE(held.connected());
  held.send_all("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(held.read_response().status == 200);  // accepted and counted before the next one connects
  const auto refused = fetch(server.port(), "GET", "/metrics");
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");
}

TEST_CASE("windows http: a body far larger than the socket buffers arrives whole to a slow reader") {
  served_registry s;
  promcxx::gauge<"win_http_wide", "Many series.", promcxx::labels<"series">, promcxx::max_series<40000>> wide{
      s.registry};
  for (int i = 0; i < 30'000; ++i) wide.labels("series-number-" + std::to_string(i)).set(i);
  promcxx::http_server server{options_for(s.registry)};
  client c{server.port(), 4096};
  REQUIRE(c.connected());
  c.send_all("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  // Not reading for a while: the server's sends fill both buffers and it must wait for POLLOUT.
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  const auto r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body.size() > 1'000'000);
  CHECK(r.header("Content-Length") == std::to_string(r.body.size()));
  CHECK(r.body.find("win_http_wide{series=\"series-number-0\"} 0\n") != std::string::npos);
  CHECK(r.body.find("win_http_wide{series=\"series-number-29999\"} 29999\n") != std::string::npos);
  CHECK(c.closed_by_server());
}

TEST_CASE("windows http: concurrent clients are all answered") {
  served_registry s;
  promcxx::http_server server{options_for(s.registry)};
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        client c{server.port()};
        if (!c.connected()) continue;
        c.send_all("GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        const auto r = c.read_response();
        if (r.status == 200 && r.body.find("win_http_queue_depth 7.5\n") != std::string::npos) ++ok;
      }
    });
  for (auto& t : clients) t.join();
  CHECK(ok.load() == 8 * 20);
  const auto after = fetch(server.port(), "GET", "/metrics");
  CHECK(after.body.find("promcxx_http_requests_total{code=\"200\"} 160\n") != std::string::npos);
}

TEST_CASE("windows http: bad addresses and a taken port are reported, stop() ends serving") {
  served_registry s;
  auto o = options_for(s.registry);
  o.listen = "127.0.0.1:99999";
  CHECK_THROWS_AS(promcxx::http_server{o}, std::invalid_argument);

  promcxx::http_server first{options_for(s.registry)};
  o.listen = "127.0.0.1:" + std::to_string(first.port());
  try {
    promcxx::http_server second{o};
    FAIL("a second server bound the port the first one holds");
  } catch (const std::system_error& e) {
    CHECK(std::string_view{e.what()}.find("cannot listen on 127.0.0.1:") != std::string_view::npos);
  }

  const auto port = first.port();
  CHECK(fetch(port, "GET", "/healthz").status == 200);
  first.stop();  // returns only if the wake-up reached the loop blocked in WSAPoll
  first.stop();  // idempotent
  client late{port};
  CHECK_FALSE(late.connected());
}
