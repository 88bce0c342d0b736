// Test helpers for the HTTP responder: a blocking loopback client with
// timeouts, a response reader, gzip inflation and a fake body source.
#ifndef PROMCXX_TESTS_HTTP_SUPPORT_HPP
#define PROMCXX_TESTS_HTTP_SUPPORT_HPP

#include <arpa/inet.h>
#include <fcntl.h>  // fcntl: counting open descriptors
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <promcxx/detail/http_engine.hpp>

#if PROMCXX_HAS_ZLIB
#include <zlib.h>
#endif

namespace http_test {

using namespace std::chrono_literals;

struct response {
  int status = 0;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (promcxx::detail::http_iequals(n, name)) return v;
    return std::nullopt;
  }
  [[nodiscard]] std::size_t header_count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers)
      if (promcxx::detail::http_iequals(h.first, name)) ++n;
    return n;
  }
};

/// A blocking loopback client; every wait is bounded (default 5 s).
class client {
 public:
  /// receive_buffer > 0 pins SO_RCVBUF (no autotuning), so a client that stops
  /// reading really stalls the sender.
  explicit client(std::uint16_t port, bool ipv6 = false, int receive_buffer = 0) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    int rc = 0;
    if (ipv6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc != 0) {
      const int e = errno;
      ::close(fd_);
      throw std::runtime_error(std::string("connect failed: ") + std::strerror(e));
    }
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  client(client&& other) noexcept : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}
  ~client() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] int fd() const noexcept { return fd_; }

  /// Sends all bytes; false when the server already closed (EPIPE/ECONNRESET).
  bool send(std::string_view data) {
    while (!data.empty()) {
      const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  /// Reads one response (Content-Length framed; for HEAD pass head=true).
  std::optional<response> read_response(bool head = false, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t head_end = std::string::npos;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill(deadline)) return std::nullopt;
    response r;
    std::string_view head_text{buffer_.data(), head_end};
    auto line_end = head_text.find("\r\n");
    const auto status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.version = std::string(status_line.substr(0, 8));
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    while (line_end != std::string_view::npos) {
      const auto start = line_end + 2;
      line_end = head_text.find("\r\n", start);
      const auto line =
          head_text.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    std::size_t length = 0;
    if (const auto cl = r.header("Content-Length")) length = std::stoul(*cl);
    if (head) length = 0;
    const auto body_start = head_end + 4;
    while (buffer_.size() < body_start + length)
      if (!fill(deadline)) return std::nullopt;
    r.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    return r;
  }

  /// True when the server closes the connection (EOF or reset) within the timeout;
  /// any bytes received meanwhile are kept for read_response.
  bool wait_closed(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto r = wait_readable(deadline);
      if (r <= 0) return false;
      char chunk[4096];
      const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == ECONNRESET;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  [[nodiscard]] const std::string& unread() const noexcept { return buffer_; }

 private:
  int wait_readable(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return 0;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }

  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (wait_readable(deadline) <= 0) return false;
    char chunk[16384];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

/// One request/response on a fresh connection.
inline std::optional<response> fetch(std::uint16_t port, std::string_view request, bool head = false) {
  client c{port};
  if (!c.send(request)) return std::nullopt;
  return c.read_response(head);
}

inline std::string get_request(std::string_view path, std::string_view extra_headers = {}) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers) + "\r\n";
}

#if PROMCXX_HAS_ZLIB
/// Inflates a gzip member with zlib; throws when it is not valid gzip.
inline std::string gunzip(std::string_view in) {
  z_stream s{};
  if (inflateInit2(&s, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  char chunk[16384];
  while (rc != Z_STREAM_END) {
    s.next_out = reinterpret_cast<Bytef*>(chunk);
    s.avail_out = sizeof chunk;
    rc = inflate(&s, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&s);
      throw std::runtime_error("inflate failed");
    }
    out.append(chunk, sizeof chunk - s.avail_out);
    if (rc == Z_OK && s.avail_in == 0 && s.avail_out != 0) {
      inflateEnd(&s);
      throw std::runtime_error("truncated gzip");
    }
  }
  const bool trailing = s.avail_in != 0;
  inflateEnd(&s);
  if (trailing) throw std::runtime_error("bytes after the gzip member");
  return out;
}
#endif

/// Body source for engine tests: a fixed body, records what it saw.
class fake_handler final : public promcxx::detail::http_handler {
 public:
  explicit fake_handler(std::string body = "fake_metric 1\n") : body_(std::move(body)) {}

  std::string_view render(std::string_view accept, std::string& body) override {
    renders.fetch_add(1);
    if (fail.load()) throw std::runtime_error("collector failed");
    {
      const std::lock_guard lock{mutex_};
      last_accept_ = std::string(accept);
      body = body_;
    }
    return "text/plain; version=0.0.4; charset=utf-8";
  }
  void on_response(int status) noexcept override {
    const std::lock_guard lock{mutex_};
    ++statuses_[status];
  }
  void on_scrape(double seconds) noexcept override {
    scrapes.fetch_add(1);
    if (seconds < 0) negative_duration.store(true);
  }

  int count(int status) {
    const std::lock_guard lock{mutex_};
    return statuses_[status];
  }
  std::string last_accept() {
    const std::lock_guard lock{mutex_};
    return last_accept_;
  }
  void set_body(std::string body) {
    const std::lock_guard lock{mutex_};
    body_ = std::move(body);
  }

  std::atomic<int> renders{0};
  std::atomic<int> scrapes{0};
  std::atomic<bool> fail{false};
  std::atomic<bool> negative_duration{false};

 private:
  std::mutex mutex_;
  std::string body_;
  std::string last_accept_;
  std::map<int, int> statuses_;
};

/// Engine on 127.0.0.1:0 with a fake handler.
struct fake_server {
  explicit fake_server(promcxx::detail::http_engine_config config = {}, std::string body = "fake_metric 1\n")
      : handler(std::move(body)), engine("127.0.0.1:0", std::move(config), handler) {}
  [[nodiscard]] std::uint16_t port() const noexcept { return engine.port(); }

  fake_handler handler;
  promcxx::detail::http_engine engine;
};

/// Polls `predicate` until true or the bound passes; for effects of other threads.
template <class F>
bool eventually(F&& predicate, std::chrono::milliseconds bound = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

/// Number of open descriptors of this process (leak checks).
inline std::size_t open_fd_count() {
  std::size_t n = 0;
  for (int fd = 0; fd < 4096; ++fd)
    if (::fcntl(fd, F_GETFD) != -1) ++n;
  return n;
}

} // namespace http_test

#endif // PROMCXX_TESTS_HTTP_SUPPORT_HPP
