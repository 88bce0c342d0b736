// promcxx: a small blocking HTTP/1.1 client for the Pushgateway client.
//
// One request per connection (`Connection: close`), so the response ends at
// EOF or Content-Length and no connection state outlives a call. Plain HTTP
// only; every socket operation waits at most until one overall deadline.
#ifndef PROMCXX_DETAIL_BLOCKING_CLIENT_HPP
#define PROMCXX_DETAIL_BLOCKING_CLIENT_HPP

#include <chrono>
#include <cerrno>
#include <cstring>  // std::strerror
#include <stdexcept>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace promcxx::detail {

/// Parts of an `http://host[:port][/prefix]` URL.
struct http_url {
  std::string host;
  std::string port = "80";
  std::string path;  // without a trailing '/'
};

/// Throws std::invalid_argument naming `api` when `url` is not a plain http URL.
inline http_url parse_http_url(std::string_view url, std::string_view api) {
  const auto fail = [&](std::string_view why) {
    throw std::invalid_argument(std::string(api) + ": URL \"" + std::string(url) + "\" " + std::string(why));
  };
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) fail("must start with http:// (https is not supported)");
  std::string_view rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) fail("must not carry credentials (use basic_auth)");
  http_url out;
  if (authority.starts_with('[')) {  // [::1]:9091
    const auto close = authority.find(']');
    if (close == std::string_view::npos) fail("has an unterminated IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') fail("has junk after the IPv6 address");
      out.port = std::string(authority.substr(1));
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) fail("has no host");
  if (out.port.empty() || out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos)
    fail("has an invalid port");
  if (std::stoul(out.port) == 0 || std::stoul(out.port) > 65535) fail("has an invalid port");
  out.path = std::string(path);
  return out;
}

struct http_response {
  int status = 0;
  std::string body;
};

/// A failure to talk HTTP at all (resolve, connect, timeout, malformed answer).
class http_transport_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class blocking_client {
 public:
  using clock = std::chrono::steady_clock;

  /// Sends one request and reads the whole response before `timeout` runs out.
  /// `headers` are complete lines, each ending in "\r\n".
  static http_response request(const http_url& url, std::string_view method, std::string_view target,
                               std::string_view headers, std::string_view body, std::chrono::milliseconds timeout,
                               std::string_view api) {
    const auto deadline = clock::now() + timeout;
    socket_guard sock{connect(url, deadline, api)};
    std::string req;
    req.reserve(256 + headers.size() + body.size());
    req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
    if (url.host.find(':') != std::string::npos) req.append("[").append(url.host).append("]");
    else req.append(url.host);
    req.append(":").append(url.port).append("\r\nConnection: close\r\nContent-Length: ");
    req.append(std::to_string(body.size())).append("\r\n").append(headers).append("\r\n").append(body);
    send_all(sock.fd, req, deadline, api);
    return read_response(sock.fd, deadline, api);
  }

 private:
  struct socket_guard {
    int fd = -1;
    ~socket_guard() {
      if (fd >= 0) ::close(fd);
    }
  };

  [[noreturn]] static void fail(std::string_view api, std::string_view what) {
    throw http_transport_error(std::string(api) + ": " + std::string(what));
  }

  static int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left > 1'000'000 ? 1'000'000 : left);
  }

  /// Waits for `events` on `fd`; false when the deadline passed.
  static bool wait(int fd, short events, clock::time_point deadline) {
    for (;;) {
      pollfd p{fd, events, 0};
      const int ms = remaining_ms(deadline);
      if (ms == 0) return false;
      const int n = ::poll(&p, 1, ms);
      if (n > 0) return true;
      if (n == 0) return false;
      if (errno != EINTR) return false;
    }
  }

  static int connect(const http_url& url, clock::time_point deadline, std::string_view api) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found); rc != 0)
      fail(api, "cannot resolve " + url.host + ": " + ::gai_strerror(rc));
    std::string last_error = "no address";
    int fd = -1;
    for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
      const int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (s < 0) continue;
      int rc = ::connect(s, ai->ai_addr, ai->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        if (!wait(s, POLLOUT, deadline)) {
          ::close(s);
          ::freeaddrinfo(found);
          fail(api, "timed out connecting to " + url.host + ":" + url.port);
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      }
      if (rc == 0) {
        fd = s;
      } else {
        last_error = std::strerror(errno);
        ::close(s);
      }
    }
    ::freeaddrinfo(found);
    if (fd < 0) fail(api, "cannot connect to " + url.host + ":" + url.port + ": " + last_error);
    return fd;
  }

  static void send_all(int fd, std::string_view data, clock::time_point deadline, std::string_view api) {
    while (!data.empty()) {
      const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (!wait(fd, POLLOUT, deadline)) fail(api, "timed out sending the request");
      } else {
        fail(api, std::string("sending the request failed: ") + std::strerror(errno));
      }
    }
  }

  static http_response read_response(int fd, clock::time_point deadline, std::string_view api) {
    std::string raw;
    char buffer[16384];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = std::string::npos;
    bool chunked = false;
    for (;;) {
      if (header_end != std::string::npos && content_length != std::string::npos &&
          raw.size() >= header_end + content_length)
        break;
      if (!wait(fd, POLLIN, deadline)) fail(api, "timed out waiting for the response");
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        fail(api, std::string("reading the response failed: ") + std::strerror(errno));
      }
      if (n == 0) break;  // Connection: close ends the body
      raw.append(buffer, static_cast<std::size_t>(n));
      if (raw.size() > (64u << 20)) fail(api, "response larger than 64 MiB");
      if (header_end == std::string::npos) {
        const auto end = raw.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        header_end = end + 4;
        parse_headers(std::string_view(raw).substr(0, end), content_length, chunked);
        if (chunked) content_length = std::string::npos;
      }
    }
    if (header_end == std::string::npos) fail(api, "connection closed before a complete response header");
    http_response out;
    const std::string_view status_line = std::string_view(raw).substr(0, raw.find("\r\n"));
    // "HTTP/1.1 202 Accepted"
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
      fail(api, "malformed status line \"" + std::string(status_line.substr(0, 80)) + "\"");
    for (std::size_t i = 9; i < 12; ++i) {
      if (status_line[i] < '0' || status_line[i] > '9') fail(api, "malformed status code");
      out.status = out.status * 10 + (status_line[i] - '0');
    }
    std::string_view body = std::string_view(raw).substr(header_end);
    if (content_length != std::string::npos && body.size() > content_length) body = body.substr(0, content_length);
    out.body = chunked ? dechunk(body) : std::string(body);
    return out;
  }

  static void parse_headers(std::string_view head, std::size_t& content_length, bool& chunked) {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos) {
      const std::size_t start = pos + 2;
      pos = head.find("\r\n", start);
      const std::string_view line = head.substr(start, pos == std::string_view::npos ? head.npos : pos - start);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (auto& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      if (name == "content-length") {
        std::size_t n = 0;
        for (const char c : value) {
          if (c < '0' || c > '9') break;
          n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        content_length = n;
      } else if (name == "transfer-encoding" && value.find("chunked") != std::string_view::npos) {
        chunked = true;
      }
    }
  }

  /// Chunked body to plain bytes; stops quietly at the first malformed size.
  static std::string dechunk(std::string_view in) {
    std::string out;
    while (!in.empty()) {
      const auto eol = in.find("\r\n");
      if (eol == std::string_view::npos) break;
      std::size_t size = 0;
      std::size_t i = 0;
      for (; i < eol; ++i) {
        const char c = in[i];
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (digit < 0) break;
        size = size * 16 + static_cast<std::size_t>(digit);
      }
      if (size == 0) break;
      in.remove_prefix(eol + 2);
      out.append(in.substr(0, size));
      if (in.size() < size + 2) break;
      in.remove_prefix(size + 2);
    }
    return out;
  }
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_BLOCKING_CLIENT_HPP
