// promcxx: socket helpers of the HTTP responder (address parsing, listening socket)
// and the few calls whose spelling differs between POSIX sockets and WinSock 2,
// so http_poller.hpp and http_engine.hpp are the same code on both.
#ifndef PROMCXX_DETAIL_HTTP_SOCKET_HPP
#define PROMCXX_DETAIL_HTTP_SOCKET_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>        // std::memcpy
#include <stdexcept>      // std::invalid_argument
#include <string>
#include <string_view>
#include <system_error>
#include <utility>   // std::exchange

#include "../config.hpp"  // PROMCXX_THROW

#if defined(_WIN32)
// windows.h (pulled in by winsock2.h) defines min/max macros that break std::min.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>  // SOCKET, WSAPoll, ioctlsocket; link ws2_32
#include <ws2tcpip.h>  // inet_pton, socklen_t
#else
#include <arpa/inet.h>  // inet_pton
#include <fcntl.h>        // fcntl: O_NONBLOCK, FD_CLOEXEC
#include <netinet/in.h>   // sockaddr_in, sockaddr_in6, IPPROTO_TCP
#include <netinet/tcp.h>  // TCP_NODELAY
#include <sys/socket.h>
#include <unistd.h>  // close
#endif

namespace promcxx::detail {

#if defined(_WIN32)
using socket_handle = SOCKET;  // an unsigned handle, not a small int
inline constexpr socket_handle invalid_socket_handle = INVALID_SOCKET;

/// errno's value for a WinSock error, so the engine tests one set of codes everywhere.
inline int errno_from_wsa(int error) noexcept {
  switch (error) {
    case WSAEWOULDBLOCK: return EWOULDBLOCK;
    case WSAEINTR: return EINTR;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: return ECONNRESET;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAEACCES: return EACCES;
    case WSAEAFNOSUPPORT: return EAFNOSUPPORT;
    case WSAEINVAL: return EINVAL;
    case WSAENOTSOCK: return EBADF;
    default: return EIO;
  }
}
/// Copies the calling thread's last WinSock error into errno.
inline void set_errno_from_wsa() noexcept { errno = errno_from_wsa(::WSAGetLastError()); }

/// Starts WinSock 2.2 once per process (every socket call fails before it). Never
/// cleaned up: a server may still run while static destructors do, and exit frees it.
inline bool winsock_started() noexcept {
  static const bool started = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  if (!started) errno = EIO;
  return started;
}

/// Non-blocking, and not inherited by child processes (POSIX: FD_CLOEXEC).
inline bool set_nonblocking_cloexec(socket_handle fd) noexcept {
  u_long one = 1;
  if (::ioctlsocket(fd, FIONBIO, &one) != 0) {
    set_errno_from_wsa();
    return false;
  }
  // Best effort: a socket that stays inheritable still works.
  ::SetHandleInformation(reinterpret_cast<HANDLE>(fd), HANDLE_FLAG_INHERIT, 0);
  return true;
}

inline void close_socket(socket_handle fd) noexcept { ::closesocket(fd); }
#else
using socket_handle = int;
inline constexpr socket_handle invalid_socket_handle = -1;
inline bool winsock_started() noexcept { return true; }

/// Sets O_NONBLOCK and FD_CLOEXEC (for systems without SOCK_NONBLOCK, accept4 or pipe2).
inline bool set_nonblocking_cloexec(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

inline void close_socket(int fd) noexcept { ::close(fd); }
#endif

/// recv(); -1 with errno set on failure (WinSock takes an int length and reports through WSAGetLastError).
inline std::ptrdiff_t socket_recv(socket_handle fd, char* data, std::size_t size) noexcept {
#if defined(_WIN32)
  const int n = ::recv(fd, data, static_cast<int>(size > 0x7fffffff ? 0x7fffffff : size), 0);
  if (n == SOCKET_ERROR) set_errno_from_wsa();
  return n;
#else
  return ::recv(fd, data, size, 0);
#endif
}

/// send(); -1 with errno set on failure.
inline std::ptrdiff_t socket_send(socket_handle fd, const char* data, std::size_t size, int flags) noexcept {
#if defined(_WIN32)
  const int n = ::send(fd, data, static_cast<int>(size > 0x7fffffff ? 0x7fffffff : size), flags);
  if (n == SOCKET_ERROR) set_errno_from_wsa();
  return n;
#else
  return ::send(fd, data, size, flags);
#endif
}

/// Sends FIN: no more output, input still readable.
inline void socket_shutdown_write(socket_handle fd) noexcept {
#if defined(_WIN32)
  ::shutdown(fd, SD_SEND);
#else
  ::shutdown(fd, SHUT_WR);
#endif
}

/// Responses go out in one write; Nagle would only delay pipelined ones.
inline void set_tcp_nodelay(socket_handle fd) noexcept {
  const int one = 1;
#if defined(_WIN32)
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
#else
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#endif
}

/// Owns a socket (a file descriptor on POSIX); closes it once.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(socket_handle fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, invalid_socket_handle)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, invalid_socket_handle));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  [[nodiscard]] socket_handle get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ != invalid_socket_handle; }
  void reset(socket_handle fd = invalid_socket_handle) noexcept {
    if (fd_ != invalid_socket_handle) close_socket(fd_);
    fd_ = fd;
  }

 private:
  socket_handle fd_ = invalid_socket_handle;
};

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

/// Why the responder could not start: bad options (error 0) or a system call
/// that failed (its errno). The message names the option or the address.
struct start_failure {
  int error = 0;
  std::string message;
};

/// Throws what the failure describes: std::invalid_argument for bad options,
/// std::system_error for a failed system call (PROMCXX_THROW: aborts with the
/// message when exceptions are disabled; http_server::start reports instead).
[[noreturn]] inline void raise(const start_failure& failure) {
  if (failure.error == 0) PROMCXX_THROW(std::invalid_argument(failure.message));
  PROMCXX_THROW(std::system_error(failure.error, std::generic_category(), failure.message));
}

inline bool bad_listen_address(std::string_view text, const char* why, start_failure& failure) {
  failure.error = 0;
  failure.message = "promcxx::http_server: bad listen address \"" + std::string(text) + "\": " + why +
                    " (expected \"host:port\" with an IPv4 address, \"[IPv6]:port\", "
                    "\"localhost:port\" or \":port\" for all IPv4 interfaces)";
  return false;
}

/// Parses "127.0.0.1:9464", "[::1]:0", "localhost:8080", ":9464" (numeric only: no DNS).
inline bool parse_listen_address(std::string_view text, socket_address& out, start_failure& failure) {
#if defined(_WIN32)
  static_cast<void>(winsock_started());  // inet_pton is a WinSock call too
#endif
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad_listen_address(text, "missing ']'", failure);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return bad_listen_address(text, "missing \":port\" after ']'", failure);
    host.assign(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad_listen_address(text, "missing \":port\"", failure);
    host.assign(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos)
      return bad_listen_address(text, "IPv6 addresses must be written in brackets", failure);
    if (host.empty()) host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
  }
  if (port_text.empty() || port_text.size() > 5) return bad_listen_address(text, "bad port", failure);
  unsigned port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') return bad_listen_address(text, "bad port", failure);
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return bad_listen_address(text, "port out of range", failure);

  out = socket_address{};
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) != 1)
      return bad_listen_address(text, "not a numeric IPv6 address", failure);
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
      return bad_listen_address(text, "not a numeric IPv4 address", failure);
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  }
  return true;
}

inline socket_address parse_listen_address(std::string_view text) {
  socket_address out;
  start_failure failure;
  if (!parse_listen_address(text, out, failure)) raise(failure);
  return out;
}

/// Records a failed system call (errno `error`) on `address`.
inline bool socket_failure(int error, std::string_view what, std::string_view address, start_failure& failure) {
  failure.error = error;
  failure.message = "promcxx::http_server: " + std::string(what) + " " + std::string(address);
  return false;
}

[[noreturn]] inline void throw_socket_error(int error, std::string_view what, std::string_view address) {
  start_failure failure;
  socket_failure(error, what, address, failure);
  raise(failure);
}

/// Creates a non-blocking listening socket; an empty unique_fd and `failure` naming the address when it cannot.
inline unique_fd listen_on(const socket_address& address, std::string_view text, int backlog, start_failure& failure) {
#if defined(_WIN32)
  if (!winsock_started()) { socket_failure(errno, "WSAStartup failed for", text, failure); return {}; }
  unique_fd fd{::socket(address.storage.ss_family, SOCK_STREAM, IPPROTO_TCP)};
  if (!fd) set_errno_from_wsa();
  if (!fd || !set_nonblocking_cloexec(fd.get())) { socket_failure(errno, "cannot create a socket for", text, failure); return {}; }
  // Not SO_REUSEADDR: on Windows it lets another process take over a bound port, and
  // TIME_WAIT does not block a restart there. Exclusive use refuses such a takeover.
  const int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one), sizeof one) != 0) {
    set_errno_from_wsa();
    { socket_failure(errno, "setsockopt(SO_EXCLUSIVEADDRUSE) failed for", text, failure); return {}; }
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), static_cast<int>(address.length)) != 0 ||
      ::listen(fd.get(), backlog) != 0) {
    set_errno_from_wsa();
    { socket_failure(errno, "cannot listen on", text, failure); return {}; }
  }
  return fd;
#else
#if defined(SOCK_NONBLOCK)
  unique_fd fd{::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd) { socket_failure(errno, "cannot create a socket for", text, failure); return {}; }
#else
  unique_fd fd{::socket(address.storage.ss_family, SOCK_STREAM, 0)};  // macOS: no SOCK_NONBLOCK
  if (!fd || !set_nonblocking_cloexec(fd.get())) { socket_failure(errno, "cannot create a socket for", text, failure); return {}; }
#endif
  const int one = 1;
  // Restarting the process must not wait for TIME_WAIT of the previous run's connections.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    { socket_failure(errno, "setsockopt(SO_REUSEADDR) failed for", text, failure); return {}; }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0)
    { socket_failure(errno, "cannot listen on", text, failure); return {}; }
  if (::listen(fd.get(), backlog) != 0) { socket_failure(errno, "cannot listen on", text, failure); return {}; }
  return fd;
#endif
}

/// The port `fd` is bound to, or 0 and `failure` when getsockname fails.
inline std::uint16_t local_port(socket_handle fd, std::string_view text, start_failure& failure) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
#if defined(_WIN32)
    set_errno_from_wsa();
#endif
    socket_failure(errno, "getsockname failed for", text, failure);
    return 0;
  }
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
