// promcxx: TLS options of the HTTP responder (plain data; no OpenSSL here).
//
//     promcxx::http_server server{{.listen = ":9464",
//                                  .tls = {.cert_file = "node.crt", .key_file = "node.key",
//                                          .client_ca_file = "ca.crt"}}};
//
// Serving TLS needs OpenSSL 3 at build time: link promcxx_tls_dep (Meson), which
// defines PROMCXX_HAS_OPENSSL=1. Without it, asking for TLS throws.
#ifndef PROMCXX_TLS_HPP
#define PROMCXX_TLS_HPP

#include <chrono>
#include <string>
#include <vector>

namespace promcxx {

/// TLS (and mutual TLS) for promcxx::http_server; enabled when cert_file is set.
/// Only TLS 1.2 and 1.3 are offered; TLS 1.2 only with forward-secret AEAD ciphers.
struct tls_options {
  /// PEM certificate chain, server certificate first. Empty: plain HTTP.
  std::string cert_file{};
  /// PEM private key of that certificate.
  std::string key_file{};
  /// PEM CA bundle; when set, every client must present a certificate that chains to it (mTLS).
  std::string client_ca_file{};
  /// With client_ca_file: accept only client certificates whose subject CN or a DNS
  /// subjectAltName equals one of these. Empty: any certificate the CA signed.
  std::vector<std::string> allowed_client_names{};
  /// "1.2" (default) or "1.3": the lowest protocol version offered.
  std::string min_version = "1.2";
  /// A connection that has not completed its handshake by then is closed (counted as "timeout").
  std::chrono::milliseconds handshake_timeout{5'000};
  /// How often the files' modification times are checked; a change reloads them without
  /// touching established connections. Zero: reload only through http_server::reload_tls().
  std::chrono::milliseconds reload_check_interval{5'000};
};

} // namespace promcxx

#endif // PROMCXX_TLS_HPP
