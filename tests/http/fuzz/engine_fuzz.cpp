// libFuzzer target for the connection state machine: each input is sent over a
// real loopback connection to one long-lived responder (in pieces whose size the
// first byte picks), the client half-closes and reads until the server closes.
// ASan/UBSan watch the responder thread; the check is that every response is
// well framed and the server always finishes the conversation.
#include <promcxx/detail/http_engine.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>  // std::min
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

class body_source final : public promcxx::detail::http_handler {
 public:
  std::string_view render(std::string_view accept, std::string& body) override {
    body.assign("fuzz_metric 1\n");
    body.append(accept.substr(0, 64));  // the body depends on the request
    body.push_back('\n');
    return "text/plain; version=0.0.4; charset=utf-8";
  }
};

promcxx::detail::http_engine& engine() {
  static body_source source;
  static promcxx::detail::http_engine instance{"127.0.0.1:0",
                                               [] {
                                                 promcxx::detail::http_engine_config c;
                                                 c.read_timeout = std::chrono::milliseconds{500};
                                                 c.basic_auth = "user:pass";
                                                 return c;
                                               }(),
                                               source};
  return instance;
}

void check(bool condition) {
  if (!condition) std::abort();
}

// Every response starts with a status line and has a Content-Length that frames
// its body; a HEAD response (no body) is followed directly by the next status line.
void check_framing(std::string_view stream) {
  while (!stream.empty()) {
    check(stream.substr(0, 9) == "HTTP/1.1 ");
    const auto head_end = stream.find("\r\n\r\n");
    check(head_end != std::string_view::npos);
    const auto head = stream.substr(0, head_end);
    const auto cl = head.find("\r\nContent-Length: ");
    check(cl != std::string_view::npos);
    const auto length = std::strtoul(std::string(head.substr(cl + 18, 20)).c_str(), nullptr, 10);
    stream.remove_prefix(head_end + 4);
    if (stream.empty() || stream.substr(0, 9) == "HTTP/1.1 ") continue;  // HEAD: no body
    check(stream.size() >= length);
    stream.remove_prefix(length);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = static_cast<std::size_t>(data[0]) * 16 + 1;
  const std::string_view input{reinterpret_cast<const char*>(data + 1), size - 1};

  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(engine().port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::string received;
  char buffer[65536];
  bool closed = false;
  const auto drain = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, timeout_ms) > 0) {
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed = true;
        return;
      }
      received.append(buffer, static_cast<std::size_t>(n));
      timeout_ms = 0;
    }
  };
  for (std::size_t pos = 0; pos < input.size() && !closed; pos += chunk) {
    const auto piece = input.substr(pos, chunk);
    if (::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
    drain(0);
  }
  ::shutdown(fd, SHUT_WR);
  // The server answers what it got and closes: after EOF, or at the latest after read_timeout.
  for (int i = 0; i < 100 && !closed; ++i) drain(100);
  ::close(fd);
  check(closed);
  check_framing(received);
  return 0;
}
