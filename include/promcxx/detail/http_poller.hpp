// promcxx: readiness notification for the HTTP responder's event loop.
// Two implementations behind one small interface, so http_engine.hpp is the
// same code on every POSIX system:
//   epoll + eventfd  on Linux (the default there),
//   poll() + a pipe  everywhere else (macOS, the BSDs), and on Linux when
//                    PROMCXX_HTTP_POLL=1 is defined, which is how CI tests it,
//   WSAPoll() + a loopback UDP socket on Windows (the poll() code with
//                    WinSock spellings from http_socket.hpp).
// Both are level-triggered; the engine never relies on edge semantics.
#ifndef PROMCXX_DETAIL_HTTP_POLLER_HPP
#define PROMCXX_DETAIL_HTTP_POLLER_HPP

#if !defined(PROMCXX_HTTP_POLL)
#if defined(__linux__)
#define PROMCXX_HTTP_POLL 0
#else
#define PROMCXX_HTTP_POLL 1  // no epoll outside Linux
#endif
#endif
#if defined(_WIN32) && !PROMCXX_HTTP_POLL
#error "promcxx: PROMCXX_HTTP_POLL=0 selects epoll, which is Linux only (Windows uses WSAPoll)"
#endif

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "http_socket.hpp"  // on Windows: winsock2.h (WSAPoll, POLLIN, ...)

#if !defined(_WIN32)
#include <sys/socket.h>
#include <unistd.h>
#if PROMCXX_HTTP_POLL
#include <poll.h>
#else
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#endif

namespace promcxx::detail {

/// One ready descriptor: what happened (http_poller::in/out/err/hup) and its tag.
struct http_ready {
  std::uint32_t events = 0;
  void* tag = nullptr;
};

#if defined(MSG_NOSIGNAL)
#define PROMCXX_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define PROMCXX_MSG_NOSIGNAL 0  // macOS: SO_NOSIGPIPE on each accepted socket instead
#endif

/// Accepts one connection as a non-blocking, close-on-exec socket; invalid_socket_handle
/// with errno set as accept() sets it.
inline socket_handle accept_nonblocking(socket_handle listen_fd) noexcept {
#if defined(_WIN32)
  const socket_handle fd = ::accept(listen_fd, nullptr, nullptr);
  if (fd == invalid_socket_handle) {
    set_errno_from_wsa();
    return fd;
  }
  if (!set_nonblocking_cloexec(fd)) {
    const int error = errno;
    close_socket(fd);
    errno = error;
    return invalid_socket_handle;
  }
  return fd;
#elif !PROMCXX_HTTP_POLL
  return ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  // POSIX only (macOS has no accept4): accepted sockets do not inherit O_NONBLOCK.
  const int fd = ::accept(listen_fd, nullptr, nullptr);
  if (fd < 0) return fd;
  if (!set_nonblocking_cloexec(fd)) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
#endif
}

#if PROMCXX_HTTP_POLL

#if defined(_WIN32)
using http_poll_entry = WSAPOLLFD;
#else
using http_poll_entry = pollfd;
#endif

class http_poller {
 public:
  static constexpr std::uint32_t in = POLLIN;
  static constexpr std::uint32_t out = POLLOUT;
  static constexpr std::uint32_t err = POLLERR | POLLNVAL;
  static constexpr std::uint32_t hup = POLLHUP;
  static constexpr const char* kind = "poll";

  /// Creates the wake-up pipe; returns the failing call's name (errno set) or nullptr.
  const char* open() {
#if defined(_WIN32)
    // WSAPoll watches sockets only: the wake-up is a UDP socket connected to itself
    // on loopback (it accepts datagrams from nobody else); wake() sends it one byte.
    if (!winsock_started()) return "WSAStartup failed for";
    wake_read_.reset(::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
    const socket_handle wake = wake_read_.get();
    sockaddr_in self{};
    self.sin_family = AF_INET;
    self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int length = sizeof self;
    if (!wake_read_ || ::bind(wake, reinterpret_cast<const sockaddr*>(&self), sizeof self) != 0 ||
        ::getsockname(wake, reinterpret_cast<sockaddr*>(&self), &length) != 0 ||
        ::connect(wake, reinterpret_cast<const sockaddr*>(&self), sizeof self) != 0) {
      set_errno_from_wsa();
      return "cannot create the wake-up socket for";
    }
    if (!set_nonblocking_cloexec(wake)) return "ioctlsocket failed for";
    fds_.push_back(http_poll_entry{wake, POLLIN, 0});
#else
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed for";
    wake_read_.reset(fds[0]);
    wake_write_.reset(fds[1]);
    if (!set_nonblocking_cloexec(fds[0]) || !set_nonblocking_cloexec(fds[1])) return "fcntl failed for";
    fds_.push_back(http_poll_entry{fds[0], POLLIN, 0});
#endif
    tags_.push_back(nullptr);
    return nullptr;
  }

  bool add(socket_handle fd, std::uint32_t events, void* tag) noexcept {
    PROMCXX_TRY {
      fds_.push_back(http_poll_entry{fd, static_cast<short>(events), 0});
      tags_.push_back(tag);
    } PROMCXX_CATCH_ALL {
      if (fds_.size() > tags_.size()) fds_.pop_back();
      errno = ENOMEM;
      return false;
    }
    return true;
  }

  bool modify(socket_handle fd, std::uint32_t events, void* /*tag*/) noexcept {
    const auto i = find(fd);
    if (i == npos) return false;
    fds_[i].events = static_cast<short>(events);
    return true;
  }

  /// Stops watching `fd`; poll() has no kernel-side set, so this is also the
  /// step that must run before a watched descriptor is closed.
  void remove(socket_handle fd) noexcept {
    const auto i = find(fd);
    if (i == npos) return;
    fds_[i] = fds_.back();
    tags_[i] = tags_.back();
    fds_.pop_back();
    tags_.pop_back();
  }
  void forget(socket_handle fd) noexcept { remove(fd); }

  /// Waits up to `timeout_ms` (-1: no limit); fills `ready` with up to `max` entries.
  int wait(http_ready* ready, int max, int timeout_ms) noexcept {
#if defined(_WIN32)
    const int n = ::WSAPoll(fds_.data(), static_cast<ULONG>(fds_.size()), timeout_ms);
    if (n < 0) set_errno_from_wsa();
#else
    const int n = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), timeout_ms);
#endif
    if (n <= 0) return n;
    if (fds_[0].revents != 0) {  // drain the wake-up pipe so it does not stay readable
      char sink[64];
#if defined(_WIN32)
      while (socket_recv(fds_[0].fd, sink, sizeof sink) > 0) {}  // one datagram per wake()
#else
      while (::read(fds_[0].fd, sink, sizeof sink) > 0) {}
#endif
    }
    int count = 0;
    const std::size_t size = fds_.size();
    // Starting where the last full batch stopped keeps a busy low slot from starving the rest.
    for (std::size_t k = 0; k < size && count < max; ++k) {
      const std::size_t i = (start_ + k) % size;
      if (fds_[i].revents == 0 || tags_[i] == nullptr) continue;  // nullptr: the wake-up pipe
      ready[count].events = static_cast<std::uint16_t>(fds_[i].revents);
      ready[count].tag = tags_[i];
      ++count;
      if (count == max) start_ = (i + 1) % size;
    }
    return count;
  }

  /// Wakes wait() from another thread.
  void wake() noexcept {
    const char one = 1;
    // A full pipe (or socket buffer) already wakes poll(), so the result does not matter.
#if defined(_WIN32)
    [[maybe_unused]] const auto written = socket_send(wake_read_.get(), &one, 1, 0);
#else
    [[maybe_unused]] const auto written = ::write(wake_write_.get(), &one, 1);
#endif
  }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t find(socket_handle fd) const noexcept {
    for (std::size_t i = 1; i < fds_.size(); ++i)
      if (fds_[i].fd == fd) return i;
    return npos;
  }

  unique_fd wake_read_;   // Windows: the self-connected UDP socket
  unique_fd wake_write_;  // unused on Windows
  std::vector<http_poll_entry> fds_;  // [0] is the wake-up pipe
  std::vector<void*> tags_;
  std::size_t start_ = 0;
};

#else

class http_poller {
 public:
  static constexpr std::uint32_t in = EPOLLIN;
  static constexpr std::uint32_t out = EPOLLOUT;
  static constexpr std::uint32_t err = EPOLLERR;
  static constexpr std::uint32_t hup = EPOLLHUP | EPOLLRDHUP;
  static constexpr const char* kind = "epoll";

  /// Creates the epoll set and the wake-up eventfd; returns the failing call's name (errno set) or nullptr.
  const char* open() {
    epoll_ = unique_fd{::epoll_create1(EPOLL_CLOEXEC)};
    if (!epoll_) return "epoll_create1 failed for";
    wake_ = unique_fd{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    if (!wake_) return "eventfd failed for";
    if (!add(wake_.get(), EPOLLIN, nullptr)) return "epoll_ctl failed for";
    return nullptr;
  }

  bool add(int fd, std::uint32_t events, void* tag) noexcept { return control(EPOLL_CTL_ADD, fd, events, tag); }
  bool modify(int fd, std::uint32_t events, void* tag) noexcept { return control(EPOLL_CTL_MOD, fd, events, tag); }
  void remove(int fd) noexcept { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }
  /// Before closing a watched descriptor: closing removes it from the epoll set already.
  void forget(int /*fd*/) noexcept {}

  int wait(http_ready* ready, int max, int timeout_ms) noexcept {
    epoll_event events[64];
    const int n = ::epoll_wait(epoll_.get(), events, std::min(max, 64), timeout_ms);
    int count = 0;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) continue;  // the wake-up eventfd
      ready[count].events = events[i].events;
      ready[count].tag = events[i].data.ptr;
      ++count;
    }
    return n < 0 ? n : count;
  }

  void wake() noexcept {
    const std::uint64_t one = 1;
    // A full eventfd counter still wakes epoll, so the result does not matter.
    [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof one);
  }

 private:
  bool control(int op, int fd, std::uint32_t events, void* tag) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = tag;
    return ::epoll_ctl(epoll_.get(), op, fd, &ev) == 0;
  }

  unique_fd epoll_;
  unique_fd wake_;
};

#endif

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_HTTP_POLLER_HPP
