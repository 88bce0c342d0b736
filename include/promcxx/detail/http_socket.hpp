// promcxx: POSIX socket helpers of the HTTP responder (address parsing, listening socket).
#ifndef PROMCXX_DETAIL_HTTP_SOCKET_HPP
#define PROMCXX_DETAIL_HTTP_SOCKET_HPP

#include <arpa/inet.h>  // inet_pton
#include <cerrno>
#include <cstdint>
#include <cstring>        // std::memcpy
#include <fcntl.h>        // fcntl: O_NONBLOCK, FD_CLOEXEC
#include <netinet/in.h>   // sockaddr_in, sockaddr_in6
#include <netinet/tcp.h>  // TCP_NODELAY
#include <stdexcept>      // std::invalid_argument
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>  // close
#include <utility>   // std::exchange

namespace promcxx::detail {

/// Sets O_NONBLOCK and FD_CLOEXEC (for systems without SOCK_NONBLOCK, accept4 or pipe2).
inline bool set_nonblocking_cloexec(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

/// Owns a file descriptor; closes it once.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

[[noreturn]] inline void throw_bad_listen_address(std::string_view text, const char* why) {
  throw std::invalid_argument("promcxx::http_server: bad listen address \"" + std::string(text) + "\": " + why +
                              " (expected \"host:port\" with an IPv4 address, \"[IPv6]:port\", "
                              "\"localhost:port\" or \":port\" for all IPv4 interfaces)");
}

/// Parses "127.0.0.1:9464", "[::1]:0", "localhost:8080", ":9464" (numeric only: no DNS).
inline socket_address parse_listen_address(std::string_view text) {
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) throw_bad_listen_address(text, "missing ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':')
      throw_bad_listen_address(text, "missing \":port\" after ']'");
    host.assign(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw_bad_listen_address(text, "missing \":port\"");
    host.assign(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      throw_bad_listen_address(text, "IPv6 addresses must be written in brackets");
    if (host.empty()) host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
  }
  if (port_text.empty() || port_text.size() > 5) throw_bad_listen_address(text, "bad port");
  unsigned port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') throw_bad_listen_address(text, "bad port");
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) throw_bad_listen_address(text, "port out of range");

  socket_address out;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) != 1)
      throw_bad_listen_address(text, "not a numeric IPv6 address");
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
      throw_bad_listen_address(text, "not a numeric IPv4 address");
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  }
  return out;
}

[[noreturn]] inline void throw_socket_error(int error, std::string_view what, std::string_view address) {
  throw std::system_error(error, std::generic_category(),
                          "promcxx::http_server: " + std::string(what) + " " + std::string(address));
}

/// Creates a non-blocking listening socket; throws std::system_error naming the address.
inline unique_fd listen_on(const socket_address& address, std::string_view text, int backlog) {
#if defined(SOCK_NONBLOCK)
  unique_fd fd{::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) throw_socket_error(errno, "cannot create a socket for", text);
#else
  unique_fd fd{::socket(address.storage.ss_family, SOCK_STREAM, 0)};  // macOS: no SOCK_NONBLOCK
  if (!fd || !set_nonblocking_cloexec(fd.get())) throw_socket_error(errno, "cannot create a socket for", text);
#endif
  const int one = 1;
  // Restarting the process must not wait for TIME_WAIT of the previous run's connections.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    throw_socket_error(errno, "setsockopt(SO_REUSEADDR) failed for", text);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0)
    throw_socket_error(errno, "cannot listen on", text);
  if (::listen(fd.get(), backlog) != 0) throw_socket_error(errno, "cannot listen on", text);
  return fd;
}

inline std::uint16_t local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0)
    throw std::system_error(errno, std::generic_category(), "promcxx::http_server: getsockname");
  if (storage.ss_family == AF_INET6) {
    sockaddr_in6 a{};
    std::memcpy(&a, &storage, sizeof a);
    return ntohs(a.sin6_port);
  }
  sockaddr_in a{};
  std::memcpy(&a, &storage, sizeof a);
  return ntohs(a.sin_port);
}

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_HTTP_SOCKET_HPP
