// promcxx: built-in HTTP/1.1 responder serving a registry on /metrics.
//
//     promcxx::http_server server{{.listen = "127.0.0.1:9464"}};
//     std::cout << server.port() << '\n';
//
// One background thread, non-blocking sockets (epoll on Linux, poll() on other
// POSIX systems or with PROMCXX_HTTP_POLL=1, WSAPoll() on Windows: link ws2_32),
// keep-alive and pipelining, gzip
// when zlib is available (PROMCXX_HAS_ZLIB), read/idle timeouts, a connection
// limit, optional basic auth (bcrypt hashes) and optional TLS / mutual TLS with
// live certificate reload (PROMCXX_HAS_OPENSSL, see tls.hpp; POSIX only).
#ifndef PROMCXX_HTTP_SERVER_HPP
#define PROMCXX_HTTP_SERVER_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>  // std::fprintf: the plaintext-password warning
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>  // std::invalid_argument
#include <string>
#include <string_view>
#include <utility>

#include "detail/http_auth.hpp"
#include "detail/http_engine.hpp"
#include "detail/http_tls.hpp"
#include "exposition.hpp"
#include "metrics.hpp"
#include "registry.hpp"
#include "tls.hpp"

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
  /// HTTP basic auth with a plaintext password (deprecated: prints a warning; prefer
  /// basic_auth_users). Without TLS the password crosses the network in clear text.
  std::string basic_auth_user{};  // {}: g++ -Wextra warns on designated init of members without one
  std::string basic_auth_password{};
  /// Answers GET with 200 "ok" (never authenticated); empty disables it.
  std::string health_path = "/healthz";
  /// TLS and mutual TLS; enabled when tls.cert_file is set (needs PROMCXX_HAS_OPENSSL).
  promcxx::tls_options tls{};
  /// HTTP basic auth for the metrics path: user name -> bcrypt hash ("$2b$10$...", as
  /// `htpasswd -nbB` or exporter-toolkit's web config). Needs PROMCXX_HAS_CRYPT.
  std::map<std::string, std::string> basic_auth_users{};
};

namespace detail {

/// One T per registry, shared by the servers using it: a registry holds each metric name once.
template <class T>
std::shared_ptr<T> shared_for_registry(promcxx::registry& r) {
  static std::mutex mutex;
  static std::map<const promcxx::registry*, std::weak_ptr<T>> shared;
  const std::lock_guard lock{mutex};
  std::erase_if(shared, [](const auto& entry) { return entry.second.expired(); });
  auto& slot = shared[&r];
  if (auto existing = slot.lock()) return existing;
  auto created = std::make_shared<T>(r);
  slot = created;
  return created;
}

/// The server's own metrics.
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
    return shared_for_registry<http_self_metrics>(r);
  }
};

/// Metrics of the TLS layer; registered only by servers that serve TLS.
struct tls_self_metrics {
  explicit tls_self_metrics(promcxx::registry& r)
      : expiry(r), handshakes(r), handshake_failures(r), last_reload_successful(r), reload_failures(r) {
    for (const auto reason : {"timeout", "not_tls", "protocol", "eof", "no_client_cert", "client_cert_untrusted",
                              "client_cert_expired", "client_name_not_allowed", "peer_alert", "other"})
      static_cast<void>(handshake_failures.labels(reason));
  }

  gauge<"promcxx_tls_certificate_expiry_timestamp_seconds",
        "Expiry (notAfter) of the certificate the promcxx metrics server presents, in Unix seconds.",
        unit<"seconds">>
      expiry;
  counter<"promcxx_tls_handshakes_total", "TLS handshakes the promcxx metrics server completed.">
      handshakes;
  counter<"promcxx_tls_handshake_failures_total",
          "TLS handshakes the promcxx metrics server refused or lost, by reason.", labels<"reason">,
          max_series<16>>
      handshake_failures;
  gauge<"promcxx_tls_last_reload_successful",
        "1 when the last load of the TLS certificate, key and CA files succeeded, 0 when the old ones are kept.">
      last_reload_successful;
  counter<"promcxx_tls_reload_failures_total",
          "Reloads of the TLS files that failed (the previous credentials stayed in use).">
      reload_failures;
};
/// Serves one registry: negotiation, rendering and self-metrics for the engine.
class registry_http_handler final : public http_handler {
 public:
  explicit registry_http_handler(promcxx::registry& r) : registry_(r), metrics_(http_self_metrics::for_registry(r)) {}

  /// Registers the TLS metrics (servers without TLS do not show them).
  tls_self_metrics& enable_tls_metrics() {
    tls_metrics_ = shared_for_registry<tls_self_metrics>(registry_);
    return *tls_metrics_;
  }

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

  void on_handshake() noexcept override {
    if (tls_metrics_) tls_metrics_->handshakes.inc();
  }

  void on_handshake_failure(std::string_view reason) noexcept override {
    if (tls_metrics_) tls_metrics_->handshake_failures.labels(reason).inc();
  }

 private:
  promcxx::registry& registry_;
  std::shared_ptr<http_self_metrics> metrics_;
  std::shared_ptr<tls_self_metrics> tls_metrics_;
};

/// What is wrong with the options before anything starts; empty when nothing is.
/// One list for both paths: the constructor throws it, http_server::start returns it.
inline std::string options_problem(const http_server_options& options) {
  if (options.tls.cert_file.empty() && (!options.tls.key_file.empty() || !options.tls.client_ca_file.empty()))
    return "promcxx::http_server: tls.key_file and tls.client_ca_file need tls.cert_file";
#if !PROMCXX_HAS_OPENSSL
  if (!options.tls.cert_file.empty())
    return "promcxx::http_server: tls.cert_file is set but promcxx was built without OpenSSL "
           "(link promcxx_tls_dep, which defines PROMCXX_HAS_OPENSSL=1)";
#endif
  if (!options.basic_auth_users.empty()) {
    if (!options.basic_auth_user.empty() || !options.basic_auth_password.empty())
      return "promcxx::http_server: give basic_auth_users or basic_auth_user/password, not both";
#if !(PROMCXX_HAS_CRYPT && PROMCXX_HAS_OPENSSL)
    return "promcxx::http_server: basic_auth_users needs libcrypt and OpenSSL "
           "(link promcxx_tls_dep, which defines PROMCXX_HAS_CRYPT=1 and PROMCXX_HAS_OPENSSL=1)";
#endif
  }
  if (options.basic_auth_user.find(':') != std::string::npos)
    return "promcxx::http_server: basic_auth_user must not contain ':' (RFC 7617)";
  return {};
}

inline std::unique_ptr<http_secure_transport> make_tls_transport(const http_server_options& options,
                                                                 registry_http_handler& handler) {
  if (options.tls.cert_file.empty()) return nullptr;
#if PROMCXX_HAS_OPENSSL
  auto& metrics = handler.enable_tls_metrics();
  return std::make_unique<tls_transport>(options.tls, [&metrics](const tls_reload_report& report) {
    metrics.last_reload_successful.set(report.ok ? 1 : 0);
    if (report.ok) metrics.expiry.set(report.not_after_seconds);
    else metrics.reload_failures.inc();
    if (!report.ok) std::fprintf(stderr, "promcxx::http_server: tls: reload failed, keeping the previous "
                                         "credentials: %s\n", report.error.c_str());
  });
#else
  static_cast<void>(handler);
  return nullptr;  // options_problem() refused this before
#endif
}

inline std::unique_ptr<http_authenticator> make_authenticator(const http_server_options& options) {
  if (options.basic_auth_users.empty()) return nullptr;
#if PROMCXX_HAS_CRYPT && PROMCXX_HAS_OPENSSL
  return std::make_unique<bcrypt_authenticator>(options.basic_auth_users);
#else
  return nullptr;  // options_problem() refused this before
#endif
}

inline http_engine_config to_engine_config(const http_server_options& options) {
  http_engine_config config;
  config.path = options.path;
  config.health_path = options.health_path;
  config.max_connections = options.max_connections;
  config.read_timeout = options.read_timeout;
  config.idle_timeout = options.idle_timeout;
  if (!options.basic_auth_user.empty() || !options.basic_auth_password.empty()) {
    config.basic_auth = options.basic_auth_user + ':' + options.basic_auth_password;
    std::fprintf(stderr, "promcxx::http_server: warning: basic_auth_password is a plaintext password; "
                         "use basic_auth_users with a bcrypt hash\n");
  }
  return config;
}

} // namespace detail

/// Serves a registry over HTTP on a background thread from construction until
/// stop() or destruction. Throws std::invalid_argument for bad options and
/// std::system_error when the address cannot be bound (both name the address);
/// http_server::start reports the same errors without exceptions.
class http_server {
 public:
  explicit http_server(const http_server_options& options = {}) : http_server(checked(options), nullptr) {}

  /// Starts a server, or returns null with the reason in `error` (bad options, an
  /// address that cannot be bound), in builds with and without exceptions alike.
  [[nodiscard]] static std::unique_ptr<http_server> start(const http_server_options& options, std::string& error) {
    error = detail::options_problem(options);
    if (!error.empty()) return nullptr;
    detail::start_failure failure;
    std::unique_ptr<http_server> server;
#if defined(__cpp_exceptions)
    try {
      server.reset(new http_server(options, &failure));
    } catch (const std::exception& e) {  // credentials that cannot be loaded, out of memory, no thread
      error = e.what();
      return nullptr;
    }
#else
    server.reset(new http_server(options, &failure));
#endif
    if (failure.message.empty()) return server;
    error = failure.message;
    if (failure.error != 0) error += ": " + std::generic_category().message(failure.error);
    return nullptr;
  }

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  ~http_server() = default;

  /// The port actually bound: the one requested, or the one picked for port 0.
  [[nodiscard]] std::uint16_t port() const noexcept { return engine_.port(); }

  /// Closes every connection and joins the server thread. Idempotent; also run by the destructor.
  void stop() noexcept { engine_.stop(); }

  /// Rereads tls.cert_file, key_file and client_ca_file now (they are also reread when
  /// their modification time changes). New connections get the new credentials,
  /// established ones keep theirs. On failure the old credentials stay in use, the
  /// error is available from tls_error() and counted in promcxx_tls_reload_failures_total.
  /// Returns false then, and also when the server does not serve TLS.
  bool reload_tls() { return tls_ != nullptr && tls_->reload(); }

  /// Why the last TLS reload failed; empty after a success or without TLS.
  [[nodiscard]] std::string tls_error() const { return tls_ != nullptr ? tls_->last_error() : std::string{}; }

 private:
  http_server(const http_server_options& options, detail::start_failure* failure)
      : handler_(options.registry != nullptr ? *options.registry : default_registry()),
        tls_(detail::make_tls_transport(options, handler_)),
        authenticator_(detail::make_authenticator(options)),
        engine_(options.listen, engine_config(options), handler_, failure) {}

  static const http_server_options& checked(const http_server_options& options) {
    if (const std::string problem = detail::options_problem(options); !problem.empty())
      PROMCXX_THROW(std::invalid_argument(problem));
    return options;
  }

  detail::http_engine_config engine_config(const http_server_options& options) const {
    auto config = detail::to_engine_config(options);
    config.tls = tls_.get();
    config.authenticator = authenticator_.get();
    return config;
  }

  detail::registry_http_handler handler_;  // before engine_: the engine's thread uses it
  std::unique_ptr<detail::http_secure_transport> tls_;
  std::unique_ptr<detail::http_authenticator> authenticator_;
  detail::http_engine engine_;
};

} // namespace promcxx

#endif // PROMCXX_HTTP_SERVER_HPP
