// libFuzzer target for the responder with TLS (http_tls.hpp): one long-lived
// TLS engine on loopback. The first byte picks the mode and the piece size:
//   even: the input goes to the TLS port raw (garbage handshakes, plain HTTP);
//         the server must close the connection (at the latest at its handshake timeout);
//   odd:  a real TLS 1.3/1.2 client handshakes first, then the input is the
//         encrypted HTTP conversation; every decrypted response must be well framed.
// Build with -DPROMCXX_HAS_OPENSSL=1 -lssl -lcrypto (tests/http/fuzz/run does).
#include <promcxx/detail/http_tls.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>  // timeval for SO_RCVTIMEO
#include <unistd.h>

#include <cerrno>
#include <csignal>
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
    body.append(accept.substr(0, 64));
    body.push_back('\n');
    return "text/plain; version=0.0.4; charset=utf-8";
  }
};

void check(bool condition) {
  if (!condition) std::abort();
}

std::string make_certificate() {
  char dir[] = "/tmp/promcxx-tls-fuzz.XXXXXX";
  check(::mkdtemp(dir) != nullptr);
  const std::string d = dir;
  const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + d +
                              "/key.pem -out " + d + "/cert.pem -days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1";
  check(std::system(command.c_str()) == 0);
  return d;
}

struct server {
  int sigpipe_ignored = (std::signal(SIGPIPE, SIG_IGN), 0);  // writes to a closed connection must not kill us
  body_source source;
  std::string dir = make_certificate();
  promcxx::detail::tls_transport transport{
      promcxx::tls_options{.cert_file = dir + "/cert.pem",
                           .key_file = dir + "/key.pem",
                           .handshake_timeout = std::chrono::milliseconds{500},
                           .reload_check_interval = std::chrono::milliseconds{0}},
      {}};
  promcxx::detail::http_engine engine{"127.0.0.1:0",
                                      [this] {
                                        promcxx::detail::http_engine_config c;
                                        c.read_timeout = std::chrono::milliseconds{500};
                                        c.basic_auth = "user:pass";
                                        c.tls = &transport;
                                        return c;
                                      }(),
                                      source};
  SSL_CTX* client = [] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // the server is ours; framing is what is checked
    return ctx;
  }();
};

server& instance() {
  static server s;
  return s;
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const timeval limit{2, 0};  // bounds every blocking read below
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

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

void raw(std::uint16_t port, std::string_view input, std::size_t chunk) {
  const int fd = connect_to(port);
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    const auto piece = input.substr(pos, chunk);
    if (::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) break;
  }
  char buffer[4096];
  bool closed = false;
  for (int i = 0; i < 10 && !closed; ++i) {  // handshake timeout 500 ms: closed well within 20 s
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  ::close(fd);
  check(closed);
}

void secure(std::uint16_t port, std::string_view input, std::size_t chunk) {
  const int fd = connect_to(port);
  SSL* ssl = SSL_new(instance().client);
  check(ssl != nullptr);
  SSL_set_fd(ssl, fd);
  check(SSL_connect(ssl) == 1);
  std::string received;
  char buffer[65536];
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    const auto piece = input.substr(pos, chunk);
    std::size_t written = 0;
    if (SSL_write_ex(ssl, piece.data(), piece.size(), &written) != 1) break;
  }
  SSL_shutdown(ssl);  // close_notify: the server answers what it got, then closes
  for (int i = 0; i < 20; ++i) {
    std::size_t got = 0;
    if (SSL_read_ex(ssl, buffer, sizeof buffer, &got) != 1) break;
    received.append(buffer, got);
  }
  SSL_free(ssl);
  ERR_clear_error();
  ::close(fd);
  check_framing(received);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = static_cast<std::size_t>(data[0] >> 1) * 32 + 1;
  const std::string_view input{reinterpret_cast<const char*>(data + 1), size - 1};
  auto& s = instance();
  if ((data[0] & 1) == 0)
    raw(s.engine.port(), input, chunk);
  else
    secure(s.engine.port(), input, chunk);
  return 0;
}
