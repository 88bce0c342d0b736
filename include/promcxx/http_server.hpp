// promcxx: built-in HTTP/1.1 responder serving a registry on /metrics.
//
//     promcxx::http_server server{{.listen = "127.0.0.1:9464"}};
//     std::cout << server.port() << '\n';
//
// One background thread, non-blocking sockets (epoll), keep-alive and
// pipelining, gzip when zlib is available (PROMCXX_HAS_ZLIB), read/idle
// timeouts, a connection limit and optional basic auth. Linux only.
#ifndef PROMCXX_HTTP_SERVER_HPP
#define PROMCXX_HTTP_SERVER_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>  // std::invalid_argument
#include <string>
#include <string_view>
#include <utility>

#include "detail/http_engine.hpp"
#include "exposition.hpp"
#include "metrics.hpp"
#include "registry.hpp"

namespace promcxx {

/// Configuration of an http_server; every field has a usable default.
struct http_server_options {
  /// "host:port" with a numeric IPv4 address, "[IPv6]:port", "localhost:port",
  /// or ":port" for every IPv4 interface. Port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:9464";
  /// Where the metrics are served; the query string is ignored.
  std::string path = "/metrics";
  /// Registry to serve; nullptr means promcxx::default_registry().
  promcxx::registry* registry = nullptr;
  /// Connections served at once; further ones get 503 (up to as many again, then are dropped).
  std::size_t max_connections = 128;
  /// Time a client has to send a request head once it started one (or after
  /// connecting), and to accept response bytes once they are pending.
  std::chrono::milliseconds read_timeout{10'000};
  /// Time a keep-alive connection may sit between requests. Both timeouts must
  /// be positive; values over a year count as a year.
  std::chrono::milliseconds idle_timeout{120'000};
  /// HTTP basic auth for the metrics path; enabled when either is non-empty.
  /// Without TLS in front the password crosses the network in clear text.
  std::string basic_auth_user{};  // {}: g++ -Wextra warns on designated init of members without one
  std::string basic_auth_password{};
  /// Answers GET with 200 "ok" (never authenticated); empty disables it.
  std::string health_path = "/healthz";
};

namespace detail {

/// The server's own metrics. Servers sharing a registry share one instance,
/// since a registry holds each metric name once.
struct http_self_metrics {
  explicit http_self_metrics(promcxx::registry& r) : requests(r), scrape_duration(r) {
    // Present from the start so rate() sees the first response (as the Go client does).
    for (const auto* code : {"200", "500", "503"}) static_cast<void>(requests.labels(code));
  }

  counter<"promcxx_http_requests_total", "HTTP responses sent by the promcxx metrics server, by status code.",
          labels<"code">, max_series<32>>
      requests;
  histogram<"promcxx_http_scrape_duration_seconds",
            "Time the promcxx metrics server spent rendering and compressing a scrape.",
            buckets<"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5">,
            unit<"seconds">>
      scrape_duration;

  static std::shared_ptr<http_self_metrics> for_registry(promcxx::registry& r) {
    static std::mutex mutex;
    static std::map<const promcxx::registry*, std::weak_ptr<http_self_metrics>> shared;
    const std::lock_guard lock{mutex};
    std::erase_if(shared, [](const auto& entry) { return entry.second.expired(); });
    auto& slot = shared[&r];
    if (auto existing = slot.lock()) return existing;
    auto created = std::make_shared<http_self_metrics>(r);
    slot = created;
    return created;
  }
};

/// Serves one registry: negotiation, rendering and self-metrics for the engine.
class registry_http_handler final : public http_handler {
 public:
  explicit registry_http_handler(promcxx::registry& r) : registry_(r), metrics_(http_self_metrics::for_registry(r)) {}

  std::string_view render(std::string_view accept, std::string& body) override {
    const auto format = negotiate(accept);
    promcxx::render(registry_, format, body);
    return content_type(format);
  }

  void on_response(int status) noexcept override {
    char code[4] = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
                    static_cast<char>('0' + status % 10), '\0'};
    metrics_->requests.labels(std::string_view{code, 3}).inc();
  }

  void on_scrape(double seconds) noexcept override { metrics_->scrape_duration.observe(seconds); }

 private:
  promcxx::registry& registry_;
  std::shared_ptr<http_self_metrics> metrics_;
};

inline http_engine_config to_engine_config(const http_server_options& options) {
  http_engine_config config;
  config.path = options.path;
  config.health_path = options.health_path;
  config.max_connections = options.max_connections;
  config.read_timeout = options.read_timeout;
  config.idle_timeout = options.idle_timeout;
  if (!options.basic_auth_user.empty() || !options.basic_auth_password.empty()) {
    if (options.basic_auth_user.find(':') != std::string::npos)
      throw std::invalid_argument("promcxx::http_server: basic_auth_user must not contain ':' (RFC 7617)");
    config.basic_auth = options.basic_auth_user + ':' + options.basic_auth_password;
  }
  return config;
}

} // namespace detail

/// Serves a registry over HTTP on a background thread from construction until
/// stop() or destruction. Throws std::invalid_argument for bad options and
/// std::system_error when the address cannot be bound (both name the address).
class http_server {
 public:
  explicit http_server(const http_server_options& options = {})
      : handler_(options.registry != nullptr ? *options.registry : default_registry()),
        engine_(options.listen, detail::to_engine_config(options), handler_) {}

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  ~http_server() = default;

  /// The port actually bound: the one requested, or the one picked for port 0.
  [[nodiscard]] std::uint16_t port() const noexcept { return engine_.port(); }

  /// Closes every connection and joins the server thread. Idempotent; also run by the destructor.
  void stop() noexcept { engine_.stop(); }

 private:
  detail::registry_http_handler handler_;  // before engine_: the engine's thread uses it
  detail::http_engine engine_;
};

} // namespace promcxx

#endif // PROMCXX_HTTP_SERVER_HPP
