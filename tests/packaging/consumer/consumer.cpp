// A downstream program built against an installed (or subproject) promcxx:
// serves one metric on a loopback port picked by the kernel, scrapes itself
// over a real socket and checks what came back. Exit 0 means the package gave
// it working headers, defines and libraries.
//
//     consumer <expected version> <expected zlib: 0|1>
#include <promcxx.hpp>
#include <promcxx/http_server.hpp>

#include <arpa/inet.h>   // inet_pton
#include <netinet/in.h>  // sockaddr_in
#include <sys/socket.h>
#include <sys/time.h>    // timeval for SO_RCVTIMEO
#include <unistd.h>      // close

#include <cstdint>    // std::uint16_t
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

promcxx::counter<"consumer_widgets_total", "Widgets made by the packaging consumer.", promcxx::labels<"kind">>
    widgets;

bool fail(const std::string& why) {
    std::fprintf(stderr, "consumer: %s\n", why.c_str());
    return false;
}

// One HTTP/1.1 exchange on a fresh connection; the response is read until the
// server closes (Connection: close), with a receive timeout so a hung server
// fails the test instead of stalling it.
bool http_get(std::uint16_t port, std::string_view extra_headers, std::string& response) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("socket() failed");
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    if (!ok) fail("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    request.append(extra_headers);
    request.append("\r\n");
    if (ok && ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        ok = fail("send failed");
    response.clear();
    char buffer[4096];
    while (ok) {
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0) break;
        if (n < 0) ok = fail("recv failed or timed out after " + std::to_string(response.size()) + " bytes");
        else response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return ok;
}

bool check() {
    widgets.labels("sprocket").inc(3);

    promcxx::http_server server{{.listen = "127.0.0.1:0"}};
    if (server.port() == 0) return fail("server reported port 0");

    std::string response;
    if (!http_get(server.port(), {}, response)) return false;
    if (!response.starts_with("HTTP/1.1 200 ")) return fail("expected 200, got:\n" + response);
    const auto body_at = response.find("\r\n\r\n");
    const std::string_view body = body_at == std::string::npos ? "" : std::string_view{response}.substr(body_at + 4);
    if (body.find("\nconsumer_widgets_total{kind=\"sprocket\"} 3\n") == std::string_view::npos)
        return fail("metric line missing from /metrics body:\n" + std::string{body});

    // With zlib the package must have linked it and set PROMCXX_HAS_ZLIB=1;
    // without, the server must answer uncompressed.
    if (!http_get(server.port(), "Accept-Encoding: gzip\r\n", response)) return false;
    const bool gzipped = response.find("\r\nContent-Encoding: gzip\r\n") != std::string::npos;
    if (gzipped != (PROMCXX_HAS_ZLIB != 0))
        return fail(std::string{"PROMCXX_HAS_ZLIB="} + (PROMCXX_HAS_ZLIB ? "1" : "0") + " but gzip response: " +
                    (gzipped ? "yes" : "no"));
    server.stop();
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: consumer <expected version> <expected zlib 0|1>\n");
        return 2;
    }
    if (std::string_view{argv[1]} != PROMCXX_VERSION_STRING) {
        std::fprintf(stderr, "consumer: headers say version %s, expected %s\n", PROMCXX_VERSION_STRING, argv[1]);
        return 1;
    }
    if (std::atoi(argv[2]) != (PROMCXX_HAS_ZLIB ? 1 : 0)) {
        std::fprintf(stderr, "consumer: built with PROMCXX_HAS_ZLIB=%d, expected %s\n", PROMCXX_HAS_ZLIB ? 1 : 0,
                     argv[2]);
        return 1;
    }
    try {
        if (!check()) return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
        return 1;
    }
    std::printf("consumer: promcxx %s served and scraped itself over loopback (zlib=%d)\n", PROMCXX_VERSION_STRING,
                PROMCXX_HAS_ZLIB ? 1 : 0);
    return 0;
}
