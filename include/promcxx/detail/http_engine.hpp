// promcxx: the HTTP/1.1 responder's event loop (one thread, non-blocking sockets;
// epoll on Linux, poll() elsewhere or with PROMCXX_HTTP_POLL=1, WSAPoll() on
// Windows: http_poller.hpp; socket calls spelled once in http_socket.hpp).
// It knows nothing about registries: a http_handler renders the body, so the
// loop can be tested with a fake body and wired to promcxx::render by http_server.
#ifndef PROMCXX_DETAIL_HTTP_ENGINE_HPP
#define PROMCXX_DETAIL_HTTP_ENGINE_HPP

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>  // std::to_chars
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "http_encoding.hpp"
#include "http_parser.hpp"
#include "http_poller.hpp"
#include "http_socket.hpp"

#if !defined(_WIN32)
#include <pthread.h>  // pthread_setname_np, pthread_sigmask
#include <csignal>     // sigfillset
#endif

namespace promcxx::detail {

using http_clock = std::chrono::steady_clock;

/// Result of a non-blocking operation on a secure session.
enum class http_io : std::uint8_t { done, want_read, want_write, closed, failed };

/// One connection's secure channel (TLS) over a non-blocking socket; the engine
/// drives it from its event loop, so no call may block.
class http_secure_session {
 public:
  http_secure_session() = default;
  http_secure_session(const http_secure_session&) = delete;
  http_secure_session& operator=(const http_secure_session&) = delete;
  virtual ~http_secure_session() = default;

  /// Advances the handshake; done once it completed.
  virtual http_io handshake() = 0;
  /// Decrypts up to `size` bytes into `data`; `got` is set when done.
  virtual http_io read(char* data, std::size_t size, std::size_t& got) = 0;
  /// Encrypts and sends up to `size` bytes; `put` is set when done.
  virtual http_io write(const char* data, std::size_t size, std::size_t& put) = 0;
  /// Sends close_notify if the socket takes it (best effort, never blocks).
  virtual void close_notify() noexcept = 0;
  /// Why handshake() failed or closed: a short label value ("no_client_cert", "not_tls", ...).
  [[nodiscard]] virtual std::string_view failure_reason() const noexcept = 0;
};

/// Creates secure sessions for accepted sockets (the TLS seam: http_tls.hpp implements it).
class http_secure_transport {
 public:
  http_secure_transport() = default;
  http_secure_transport(const http_secure_transport&) = delete;
  http_secure_transport& operator=(const http_secure_transport&) = delete;
  virtual ~http_secure_transport() = default;

  /// A session for an accepted socket (which the engine keeps owning).
  virtual std::unique_ptr<http_secure_session> open(socket_handle fd) = 0;
  [[nodiscard]] virtual std::chrono::milliseconds handshake_timeout() const noexcept = 0;
  /// Called from the event loop when next_poll() is due (credential file checks).
  virtual void poll(http_clock::time_point /*now*/) noexcept {}
  /// When poll() wants to run next; time_point::max() for never.
  [[nodiscard]] virtual http_clock::time_point next_poll() const noexcept { return http_clock::time_point::max(); }
  /// Rereads the credentials now (any thread); false keeps the old ones (see last_error()).
  virtual bool reload() { return true; }
  /// Why the last reload failed; empty after a success.
  [[nodiscard]] virtual std::string last_error() const { return {}; }
};

/// Checks an Authorization header value (e.g. against bcrypt hashes: http_auth.hpp).
class http_authenticator {
 public:
  http_authenticator() = default;
  http_authenticator(const http_authenticator&) = delete;
  http_authenticator& operator=(const http_authenticator&) = delete;
  virtual ~http_authenticator() = default;
  virtual bool check(std::string_view authorization) = 0;
};

struct http_engine_config {
  std::string path = "/metrics";
  std::string health_path = "/healthz";  // empty: no health endpoint
  std::size_t max_connections = 128;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{120'000};
  std::string basic_auth;                     // "user:password"; empty: no plaintext authentication
  http_authenticator* authenticator = nullptr;  // when set, also required for the metrics path
  http_secure_transport* tls = nullptr;       // when set, every connection speaks TLS first
};

/// What the responder serves. Called only from the responder's thread.
class http_handler {
 public:
  http_handler() = default;
  http_handler(const http_handler&) = delete;
  http_handler& operator=(const http_handler&) = delete;
  virtual ~http_handler() = default;

  /// Renders the metrics body for an Accept header value ("" when absent)
  /// into `body` and returns its content type (must outlive the call).
  virtual std::string_view render(std::string_view accept, std::string& body) = 0;
  /// Called once per response sent, with its status code.
  virtual void on_response(int /*status*/) noexcept {}
  /// Called after each metrics response is prepared, with the render + encode time.
  virtual void on_scrape(double /*seconds*/) noexcept {}
  /// Called when a TLS handshake completes.
  virtual void on_handshake() noexcept {}
  /// Called when a TLS handshake fails, with a short reason ("timeout", "not_tls", ...).
  virtual void on_handshake_failure(std::string_view /*reason*/) noexcept {}
};

inline constexpr std::string_view http_reason(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

inline void http_append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

/// Appends a status line and headers up to and including the empty line.
/// `extra` holds complete header lines ("Name: value\r\n").
inline void http_append_head(std::string& out, int status, std::string_view content_type, std::size_t content_length,
                             std::string_view extra, bool close) {
  out.append("HTTP/1.1 ");
  http_append_number(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  out.append(http_reason(status));
  out.append("\r\nContent-Type: ");
  out.append(content_type);
  out.append("\r\nContent-Length: ");
  http_append_number(out, content_length);
  out.append("\r\n");
  out.append(extra);
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
}

inline constexpr std::string_view http_plain_text = "text/plain; charset=utf-8";

/// A short text response ("Not Found\n"); the body is omitted for HEAD.
inline void http_append_simple(std::string& out, int status, std::string_view extra, bool close, bool head) {
  const auto reason = http_reason(status);
  http_append_head(out, status, http_plain_text, reason.size() + 1, extra, close);
  if (!head) {
    out.append(reason);
    out.push_back('\n');
  }
}

enum class http_phase : std::uint8_t { none, handshaking, idle, reading, writing, lingering };

struct http_connection {
  unique_fd fd;
  std::string in;   // bytes received and not yet consumed
  std::string out;  // response bytes not yet sent start at out_pos
  std::size_t out_pos = 0;
  std::size_t body_to_skip = 0;  // request body bytes still to discard
  http_request_parser parser;
  http_request request;
  http_phase phase = http_phase::none;
  http_clock::time_point phase_start{};
  http_clock::time_point deadline{};
  std::uint32_t events = 0;  // current poller interest
  bool served = false;       // answered a request: the idle timeout applies from now on
  bool close_after_write = false;
  bool lingering = false;  // write side shut down; discarding input until EOF
  bool peer_eof = false;
  bool rejected = false;  // over the connection limit: every request gets 503
  bool dead = false;
  std::unique_ptr<http_secure_session> tls;  // null for plain HTTP
  bool handshaking = false;
  std::uint32_t tls_extra_events = 0;  // what the TLS layer waits for beyond the HTTP state

  [[nodiscard]] bool output_pending() const noexcept { return out_pos < out.size(); }
};

class http_engine {
 public:
  /// Binds `listen` ("host:port"), then serves on a background thread until stop().
  /// Throws std::invalid_argument for bad options, std::system_error when it cannot bind.
  http_engine(std::string_view listen, http_engine_config config, http_handler& handler)
      : http_engine(listen, std::move(config), handler, nullptr) {}

  /// The same, but a failure to start goes to `*report` when it is not null (the
  /// engine then serves nothing): the path without exceptions.
  http_engine(std::string_view listen, http_engine_config config, http_handler& handler, start_failure* report)
      : config_(std::move(config)), handler_(handler) {
    start_failure failure;
    if (start(listen, failure)) return;
    if (report == nullptr) raise(failure);
    *report = std::move(failure);
  }

  http_engine(const http_engine&) = delete;
  http_engine& operator=(const http_engine&) = delete;
  ~http_engine() { stop(); }

  /// The bound port (the real one when 0 was requested).
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  /// Stops serving: closes every socket and joins the thread. Idempotent.
  void stop() noexcept {
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_release);
    poller_.wake();
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // stop() from a handler: the loop exits on its own
      return;
    }
    thread_.join();
  }

 private:
  static constexpr std::size_t out_soft_limit = 256 * 1024;  // stop parsing pipelined requests beyond
  static constexpr std::size_t in_hard_limit = http_max_request_line + http_max_header_bytes + 64 * 1024;
  static constexpr auto linger_limit = std::chrono::milliseconds{2000};
  static constexpr auto max_timeout = std::chrono::milliseconds{std::chrono::hours{24 * 365}};

  bool start(std::string_view listen, start_failure& failure) {
    if (!valid_config(failure)) return false;
    // Deadlines are steady_clock time points: keep huge timeouts from overflowing them.
    config_.read_timeout = std::min(config_.read_timeout, max_timeout);
    config_.idle_timeout = std::min(config_.idle_timeout, max_timeout);
    socket_address address;
    if (!parse_listen_address(listen, address, failure)) return false;
    listen_fd_ = listen_on(address, listen, SOMAXCONN, failure);
    if (!listen_fd_) return false;
    port_ = local_port(listen_fd_.get(), listen, failure);
    if (port_ == 0) return false;
    if (const char* failed = poller_.open()) return socket_failure(errno, failed, listen, failure);
    if (!poller_.add(listen_fd_.get(), http_poller::in, &listen_tag_))
      return socket_failure(errno, "cannot watch the listening socket for", listen, failure);
    scratch_.resize(16 * 1024);
    thread_ = std::thread([this] { run(); });
    return true;
  }

  bool valid_config(start_failure& failure) const {
    failure.error = 0;
    if (config_.path.empty() || config_.path.front() != '/')
      failure.message = "promcxx::http_server: path must start with '/', got \"" + config_.path + "\"";
    else if (!config_.health_path.empty() && config_.health_path.front() != '/')
      failure.message = "promcxx::http_server: health_path must be empty or start with '/'";
    else if (config_.max_connections == 0)
      failure.message = "promcxx::http_server: max_connections must be at least 1";
    else if (config_.read_timeout.count() <= 0 || config_.idle_timeout.count() <= 0)
      failure.message = "promcxx::http_server: timeouts must be positive";
    else
      return true;
    return false;
  }

  void run() noexcept {
#if !defined(_WIN32)  // Windows delivers no signals to threads and needs no name here
    // Signals belong to the application's threads (sigwait loops, handlers), not to ours.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
#if defined(__APPLE__)
    pthread_setname_np("promcxx-http");  // macOS names the calling thread only
#else
    pthread_setname_np(pthread_self(), "promcxx-http");  // visible in top -H, gdb, perf
#endif
#endif
    std::array<http_ready, 64> events{};
    while (!stopping_.load(std::memory_order_acquire)) {
      resume_accepting_if_due(http_clock::now());
      const int n = poller_.wait(events.data(), static_cast<int>(events.size()), wait_timeout_ms(http_clock::now()));
      if (n < 0 && errno != EINTR) break;  // only EBADF/EINVAL: nothing sensible left to do
      const auto now = http_clock::now();
      for (int i = 0; i < n; ++i) {
        const auto& ev = events[static_cast<std::size_t>(i)];
        if (ev.tag == &listen_tag_) {
          accept_all(now);
          continue;
        }
        auto& c = *static_cast<http_connection*>(ev.tag);
        if (c.dead) continue;
        guarded(c, [&] {
          if (c.handshaking) {
            // Even on EPOLLERR: a client that rejects us sends an alert and may reset
            // right after it; reading the alert tells why the handshake failed.
            if (!advance_handshake(c, now)) {
              if (!c.dead && (ev.events & http_poller::err) != 0) {
                handler_.on_handshake_failure("eof");
                close_connection(c);
              }
              return;
            }
            read_from(c);  // the request may have arrived with the last handshake flight
          } else if ((ev.events & http_poller::err) != 0) {
            close_connection(c);
            return;
          } else if ((ev.events & (http_poller::in | http_poller::hup)) != 0 || (c.tls && c.tls_extra_events != 0)) {
            read_from(c);
          }
          if (!c.dead) service(c, now);
        });
      }
      expire(now);
      reap();
      if (config_.tls != nullptr && now >= config_.tls->next_poll()) config_.tls->poll(now);
    }
    for (auto& c : connections_) c->fd.reset();
    connections_.clear();
    listen_fd_.reset();  // refuse new connections from now on; port_ stays readable
  }

  // Per-connection failures (allocation, a throwing handler) close that connection only.
  template <class F>
  void guarded(http_connection& c, F&& f) noexcept {
    PROMCXX_TRY {
      f();
    } PROMCXX_CATCH_ALL {
      close_connection(c);
    }
  }

  int wait_timeout_ms(http_clock::time_point now) const noexcept {
    bool any = false;
    http_clock::time_point earliest{};
    for (const auto& c : connections_) {
      if (c->dead) continue;
      if (!any || c->deadline < earliest) earliest = c->deadline;
      any = true;
    }
    if (accept_paused_) {
      if (!any || accept_resume_ < earliest) earliest = accept_resume_;
      any = true;
    }
    if (config_.tls != nullptr && config_.tls->next_poll() != http_clock::time_point::max()) {
      if (!any || config_.tls->next_poll() < earliest) earliest = config_.tls->next_poll();
      any = true;
    }
    if (!any) return -1;  // only the wake-up or a new connection can change anything
    if (earliest <= now) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
    return static_cast<int>(std::min<decltype(ms)>(ms, 60'000));
  }

  void resume_accepting_if_due(http_clock::time_point now) noexcept {
    if (accept_paused_ && now >= accept_resume_ && poller_.add(listen_fd_.get(), http_poller::in, &listen_tag_))
      accept_paused_ = false;
  }

  void accept_all(http_clock::time_point now) noexcept {
    for (int i = 0; i < 64; ++i) {
      const socket_handle fd = accept_nonblocking(listen_fd_.get());
      if (fd == invalid_socket_handle) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: the level-triggered listener would spin, so pause it.
          poller_.remove(listen_fd_.get());
          accept_paused_ = true;
          accept_resume_ = now + std::chrono::milliseconds{100};
        }
        return;
      }
      unique_fd owned{fd};
      const bool reject = active_ >= config_.max_connections;
      if (reject && rejected_ >= config_.max_connections) continue;  // dropped: beyond both limits
      PROMCXX_TRY {
        auto c = std::make_unique<http_connection>();
        c->fd = std::move(owned);
        c->rejected = reject;
        set_tcp_nodelay(c->fd.get());
        if (config_.tls != nullptr) {
          c->tls = config_.tls->open(c->fd.get());
          c->handshaking = true;
          c->tls_extra_events = http_poller::in;
        }
        if (!poller_.add(c->fd.get(), http_poller::in, c.get())) continue;
        c->events = http_poller::in;
        refresh_deadline(*c, now);
        connections_.push_back(std::move(c));
        ++(reject ? rejected_ : active_);
      } PROMCXX_CATCH_ALL {
        return;  // out of memory: drop this one (owned closes it)
      }
    }
  }

  void read_from(http_connection& c) {
    if (c.tls && !c.lingering) {
      read_secure(c);
      return;
    }
    for (int i = 0; i < 4; ++i) {
      if (!c.lingering && c.in.size() >= in_hard_limit) return;  // parser refuses long before
      const auto r = socket_recv(c.fd.get(), scratch_.data(), scratch_.size());
      if (r > 0) {
        if (!c.lingering) c.in.append(scratch_.data(), static_cast<std::size_t>(r));
        continue;
      }
      if (r == 0) {
        c.peer_eof = true;
        if (c.lingering) close_connection(c);
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(c);
      return;
    }
  }

  // Reads until the TLS layer needs the socket again: decrypted bytes may sit in
  // the session's buffer where the poller cannot see them.
  void read_secure(http_connection& c) {
    c.tls_extra_events &= ~http_poller::out;
    while (c.in.size() < in_hard_limit) {
      std::size_t got = 0;
      switch (c.tls->read(scratch_.data(), scratch_.size(), got)) {
        case http_io::done: c.in.append(scratch_.data(), got); continue;
        case http_io::want_read: return;
        case http_io::want_write: c.tls_extra_events |= http_poller::out; return;
        case http_io::closed: c.peer_eof = true; return;
        case http_io::failed: close_connection(c); return;
      }
    }
  }

  // Returns true once the handshake completed; reports and closes on failure.
  bool advance_handshake(http_connection& c, http_clock::time_point now) {
    const auto result = c.tls->handshake();
    if (result == http_io::done) {
      c.handshaking = false;
      c.tls_extra_events = 0;
      c.phase = http_phase::none;  // the request's read timeout starts now
      handler_.on_handshake();
      return true;
    }
    if (result == http_io::want_read || result == http_io::want_write) {
      c.tls_extra_events = result == http_io::want_read ? http_poller::in : http_poller::out;
      update_interest(c);
      if (!c.dead) refresh_deadline(c, now);
      return false;
    }
    const auto reason = c.tls->failure_reason();
    handler_.on_handshake_failure(reason);
    if (reason == "not_tls") answer_plain_http_on_tls_port(c);
    close_connection(c);
    return false;
  }

  // Plain HTTP on the TLS port gets a readable refusal instead of a TLS alert (as Go's server does).
  void answer_plain_http_on_tls_port(http_connection& c) noexcept {
    // Drain the request first: closing with unread input would send RST and could destroy the answer.
    for (int i = 0; i < 16 && socket_recv(c.fd.get(), scratch_.data(), scratch_.size()) > 0; ++i) {}
    static constexpr std::string_view answer =
        "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
        "Client sent an HTTP request to an HTTPS server.\n";
    [[maybe_unused]] const auto sent = socket_send(c.fd.get(), answer.data(), answer.size(), PROMCXX_MSG_NOSIGNAL);
    socket_shutdown_write(c.fd.get());
  }

  // Answers complete requests, writes, repeats while pipelined requests wait.
  void service(http_connection& c, http_clock::time_point now) {
    for (;;) {
      const bool stopped_at_limit = answer_buffered(c, now);
      if (!flush(c, now) || c.dead) return;
      if (!stopped_at_limit || c.output_pending()) break;
    }
    if (!c.output_pending() && c.peer_eof && !c.lingering) {
      close_connection(c);  // the client is gone or half-closed and has everything it asked for
      return;
    }
    update_interest(c);
    refresh_deadline(c, now);
  }

  // Returns true when it stopped because enough output is queued.
  bool answer_buffered(http_connection& c, http_clock::time_point now) {
    if (c.lingering) return false;
    std::size_t pos = 0;
    bool at_limit = false;
    while (!c.close_after_write) {
      if (c.out.size() - c.out_pos >= out_soft_limit) {
        at_limit = true;
        break;
      }
      if (c.body_to_skip > 0) {
        const auto n = std::min(c.body_to_skip, c.in.size() - pos);
        pos += n;
        c.body_to_skip -= n;
        if (c.body_to_skip > 0) break;
        continue;
      }
      // Empty lines before a request line are ignored (RFC 9112 2.2); the parser
      // has not seen this request's bytes yet whenever pos points at one.
      while (pos < c.in.size() && (c.in[pos] == '\r' || c.in[pos] == '\n')) ++pos;
      if (pos == c.in.size()) break;
      const auto result = c.parser.parse(std::string_view{c.in}.substr(pos), c.request);
      if (result.state == http_parse_state::incomplete) break;
      if (result.state == http_parse_state::error) {
        respond_status(c, result.status, {}, true, false);
        break;
      }
      pos += result.consumed;
      c.body_to_skip = c.request.content_length;
      respond(c, now);
      c.parser.reset();
      c.served = true;
      c.phase = http_phase::none;  // the next request's read timeout starts now
    }
    c.in.erase(0, pos);
    return at_limit;
  }

  void respond_status(http_connection& c, int status, std::string_view extra, bool close, bool head) {
    c.close_after_write = c.close_after_write || close;
    http_append_simple(c.out, status, extra, c.close_after_write, head);
    handler_.on_response(status);
  }

  void respond(http_connection& c, http_clock::time_point now) {
    const auto& req = c.request;
    const bool close = !req.keep_alive || c.rejected;
    const bool get = req.method == "GET";
    const bool head = req.method == "HEAD";
    if (c.rejected) {
      respond_status(c, 503, "Retry-After: 1\r\n", true, head);
    } else if (req.path == config_.path) {
      if (!get && !head) {
        respond_status(c, 405, "Allow: GET, HEAD\r\n", close, false);
      } else if ((!config_.basic_auth.empty() &&
                  !http_basic_auth_matches(req.authorization, config_.basic_auth, auth_scratch_)) ||
                 (config_.authenticator != nullptr && !config_.authenticator->check(req.authorization))) {
        respond_status(c, 401, "WWW-Authenticate: Basic realm=\"metrics\", charset=\"UTF-8\"\r\n", close, head);
      } else {
        respond_metrics(c, close, head, now);
      }
    } else if (!config_.health_path.empty() && req.path == config_.health_path) {
      if (!get && !head) {
        respond_status(c, 405, "Allow: GET, HEAD\r\n", close, false);
      } else {
        c.close_after_write = c.close_after_write || close;
        http_append_head(c.out, 200, http_plain_text, 3, {}, c.close_after_write);
        if (get) c.out.append("ok\n");
        handler_.on_response(200);
      }
    } else {
      respond_status(c, 404, {}, close, head);
    }
  }

  void respond_metrics(http_connection& c, bool close, bool head, http_clock::time_point start) {
    std::string_view content_type;
    PROMCXX_TRY {
      content_type = handler_.render(c.request.has_accept ? c.request.accept : std::string_view{}, body_);
    } PROMCXX_CATCH_ALL {
      respond_status(c, 500, {}, close, head);  // a failing collector must not kill the server
      return;
    }
    std::string_view payload = body_;
    std::string_view extra = "Vary: Accept, Accept-Encoding\r\n";
#if PROMCXX_HAS_ZLIB
    if (c.request.has_accept_encoding && http_accepts_gzip(c.request.accept_encoding)) {
      gzip_.compress(body_, gzipped_);
      payload = gzipped_;
      extra = "Content-Encoding: gzip\r\nVary: Accept, Accept-Encoding\r\n";
    }
#endif
    handler_.on_scrape(std::chrono::duration<double>(http_clock::now() - start).count());
    c.close_after_write = c.close_after_write || close;
    http_append_head(c.out, 200, content_type, payload.size(), extra, c.close_after_write);
    if (!head) c.out.append(payload);
    handler_.on_response(200);
  }

  // Writes what the socket takes; returns false when the connection was closed.
  bool flush(http_connection& c, http_clock::time_point now) {
    if (c.tls) c.tls_extra_events &= ~http_poller::in;
    while (c.output_pending()) {
      if (c.tls) {
        std::size_t put = 0;
        const auto r = c.tls->write(c.out.data() + c.out_pos, c.out.size() - c.out_pos, put);
        if (r == http_io::done) {
          c.out_pos += put;
          c.phase_start = now;
          continue;
        }
        if (r == http_io::want_write) return true;
        if (r == http_io::want_read) {  // the TLS layer must read first (e.g. a key update)
          c.tls_extra_events |= http_poller::in;
          return true;
        }
        close_connection(c);
        return false;
      }
      const auto w = socket_send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos, PROMCXX_MSG_NOSIGNAL);
      if (w > 0) {
        c.out_pos += static_cast<std::size_t>(w);
        c.phase_start = now;  // progress restarts the write-stall clock
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      close_connection(c);
      return false;
    }
    c.out.clear();  // keeps capacity for the next response
    c.out_pos = 0;
    if (c.close_after_write && !c.lingering) {
      // Lingering close: stop writing but keep reading until the client closes, so
      // unread pipelined bytes cannot turn our FIN into a RST that destroys the response.
      if (c.tls) c.tls->close_notify();
      socket_shutdown_write(c.fd.get());
      c.lingering = true;
      c.in.clear();
      if (c.peer_eof) {
        close_connection(c);
        return false;
      }
    }
    return true;
  }

  void update_interest(http_connection& c) noexcept {
    std::uint32_t wanted = (c.output_pending() && !c.lingering) ? http_poller::out : http_poller::in;
    if (c.handshaking) wanted = c.tls_extra_events;
    else if (c.tls && !c.lingering) wanted |= c.tls_extra_events;
    if (wanted == c.events) return;
    if (poller_.modify(c.fd.get(), wanted, &c))
      c.events = wanted;
    else
      close_connection(c);
  }

  void refresh_deadline(http_connection& c, http_clock::time_point now) noexcept {
    const auto phase = c.handshaking                           ? http_phase::handshaking
                       : c.lingering                           ? http_phase::lingering
                       : c.output_pending()                    ? http_phase::writing
                       : (!c.in.empty() || c.body_to_skip > 0) ? http_phase::reading
                                                               : http_phase::idle;
    if (phase != c.phase) {
      c.phase = phase;
      c.phase_start = now;
    }
    auto limit = config_.read_timeout;
    if (phase == http_phase::lingering) limit = std::min(config_.read_timeout, linger_limit);
    if (phase == http_phase::idle && c.served) limit = config_.idle_timeout;
    if (phase == http_phase::handshaking && config_.tls != nullptr) limit = config_.tls->handshake_timeout();
    c.deadline = c.phase_start + limit;
  }

  void expire(http_clock::time_point now) noexcept {
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      auto& c = *connections_[i];
      if (c.dead || now < c.deadline) continue;
      guarded(c, [&] {
        if (c.phase == http_phase::handshaking) {
          handler_.on_handshake_failure("timeout");  // stalled or slow client: others were served meanwhile
          close_connection(c);
        } else if (c.phase == http_phase::reading) {
          // Half a request after read_timeout (slowloris): tell it, then hang up.
          c.in.clear();
          c.body_to_skip = 0;
          respond_status(c, 408, {}, true, false);
          if (flush(c, now) && !c.dead) {
            update_interest(c);
            if (!c.dead) refresh_deadline(c, now);
          }
        } else {
          close_connection(c);  // idle, stalled writer or finished lingering
        }
      });
    }
  }

  void close_connection(http_connection& c) noexcept {
    if (c.dead) return;
    c.dead = true;
    poller_.forget(c.fd.get());  // poll() keeps its own set; epoll drops closed descriptors itself
    c.fd.reset();
    --(c.rejected ? rejected_ : active_);
  }

  void reap() {
    std::erase_if(connections_, [](const auto& c) { return c->dead; });
  }

  http_engine_config config_;
  http_handler& handler_;
  unique_fd listen_fd_;
  http_poller poller_;
  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<http_connection>> connections_;
  std::size_t active_ = 0;
  std::size_t rejected_ = 0;
  bool accept_paused_ = false;
  http_clock::time_point accept_resume_{};
  // Per-server buffers reused by every scrape (only the loop thread touches them).
  std::vector<char> scratch_;
  std::string body_;
  std::string auth_scratch_;
#if PROMCXX_HAS_ZLIB
  gzip_compressor gzip_;
  std::string gzipped_;
#endif
  char listen_tag_ = 0;  // address used as the listening socket's poller tag
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: starts after everything above is ready
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_HTTP_ENGINE_HPP
