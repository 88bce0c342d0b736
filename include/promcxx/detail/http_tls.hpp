// promcxx: TLS for the HTTP responder through OpenSSL 3 (the http_secure_transport seam).
//
// Handshakes, reads and writes are non-blocking and driven by the engine's epoll
// loop, so a stalled handshake costs one socket and a timer, never the loop.
// Credentials live in an SSL_CTX that is replaced as a whole on reload: every SSL
// holds a reference to the context it was created from, so established
// connections keep their old credentials and new connections get the new ones.
// Without PROMCXX_HAS_OPENSSL this header declares nothing.
#ifndef PROMCXX_DETAIL_HTTP_TLS_HPP
#define PROMCXX_DETAIL_HTTP_TLS_HPP

#ifndef PROMCXX_HAS_OPENSSL
#define PROMCXX_HAS_OPENSSL 0  // promcxx_tls_dep (Meson) defines it to 1
#endif

#if PROMCXX_HAS_OPENSSL

#include <sys/socket.h>  // recv(MSG_PEEK)
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>  // timegm
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>  // std::invalid_argument
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../tls.hpp"
#include "http_engine.hpp"

namespace promcxx::detail {

/// The OpenSSL error queue as one line (and cleared), for error messages.
inline std::string tls_error_text() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string{"no OpenSSL error recorded"} : text;
}

struct ssl_ctx_free {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;

/// Unix time of a certificate's notAfter; 0 when it cannot be read.
inline double tls_not_after_seconds(const X509* cert) noexcept {
  if (cert == nullptr) return 0;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return 0;
  return static_cast<double>(timegm(&tm));
}

/// True when the certificate's subject CN or a DNS subjectAltName equals `name`.
inline bool tls_certificate_has_name(X509* cert, std::string_view name) noexcept {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool found = false;
  for (int i = 0; names != nullptr && !found && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DNS) continue;
    const auto* s = gn->d.dNSName;
    found = std::string_view{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<std::size_t>(ASN1_STRING_length(s))} == name;
  }
  GENERAL_NAMES_free(names);
  const X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = -1; !found && subject != nullptr;) {
    i = X509_NAME_get_index_by_NID(subject, NID_commonName, i);
    if (i < 0) break;
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    found = std::string_view{reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<std::size_t>(ASN1_STRING_length(s))} == name;
  }
  return found;
}

/// Identity of a file's current contents as far as stat() tells (follows symlinks,
/// so an atomically swapped symlink, as Kubernetes secrets do, counts as a change).
struct tls_file_stamp {
  long long mtime_ns = -1;
  long long size = -1;
  unsigned long long inode = 0;
  bool operator==(const tls_file_stamp&) const = default;
};

inline tls_file_stamp tls_stamp(const std::string& path) noexcept {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

/// What a reload produced, for the server's self-metrics.
struct tls_reload_report {
  bool ok = false;
  double not_after_seconds = 0;  // of the certificate now served
  std::string error;             // empty when ok
};

class tls_session final : public http_secure_session {
 public:
  tls_session(SSL* ssl, int fd) noexcept : ssl_(ssl), fd_(fd) {}
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  ~tls_session() override { SSL_free(ssl_); }

  http_io handshake() override {
    if (!checked_first_byte_) {
      // A TLS connection starts with a handshake record (content type 22); anything
      // else is most likely plain HTTP on the TLS port, which deserves a readable answer.
      unsigned char first = 0;
      const auto n = ::recv(fd_, &first, 1, MSG_PEEK);
      if (n == 0) return fail("eof");
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? http_io::want_read : fail("eof");
      if (first != 22) return fail((first >= 'A' && first <= 'Z') ? "not_tls" : "protocol");
      checked_first_byte_ = true;
    }
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) return http_io::done;
    const int error = SSL_get_error(ssl_, r);
    if (error == SSL_ERROR_WANT_READ) return http_io::want_read;
    if (error == SSL_ERROR_WANT_WRITE) return http_io::want_write;
    return fail(classify(error));
  }

  http_io read(char* data, std::size_t size, std::size_t& got) override {
    ERR_clear_error();
    if (SSL_read_ex(ssl_, data, size, &got) == 1) return http_io::done;
    return io_result(SSL_get_error(ssl_, 0));
  }

  http_io write(const char* data, std::size_t size, std::size_t& put) override {
    ERR_clear_error();
    if (SSL_write_ex(ssl_, data, size, &put) == 1) return http_io::done;
    return io_result(SSL_get_error(ssl_, 0));
  }

  void close_notify() noexcept override {
    ERR_clear_error();
    if (SSL_is_init_finished(ssl_) == 1) static_cast<void>(SSL_shutdown(ssl_));
    ERR_clear_error();
  }

  [[nodiscard]] std::string_view failure_reason() const noexcept override { return reason_; }

 private:
  static http_io io_result(int error) noexcept {
    switch (error) {
      case SSL_ERROR_WANT_READ: return http_io::want_read;
      case SSL_ERROR_WANT_WRITE: return http_io::want_write;
      case SSL_ERROR_ZERO_RETURN: return http_io::closed;  // close_notify received
      default: ERR_clear_error(); return http_io::failed;
    }
  }

  http_io fail(std::string_view reason) noexcept {
    reason_ = reason;
    ERR_clear_error();
    return http_io::failed;
  }

  // Maps OpenSSL's view of a failed handshake to a small fixed set of label values.
  std::string_view classify(int error) const noexcept {
    if (error != SSL_ERROR_SSL) return "eof";  // connection closed or reset mid-handshake
    const unsigned long code = ERR_peek_last_error();
    const int reason = ERR_GET_REASON(code);
    if (ERR_GET_LIB(code) != ERR_LIB_SSL) return "other";
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) return "no_client_cert";
    if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) return "eof";
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      const long verify = SSL_get_verify_result(ssl_);
      if (verify == X509_V_ERR_CERT_HAS_EXPIRED || verify == X509_V_ERR_CERT_NOT_YET_VALID)
        return "client_cert_expired";
      if (verify == X509_V_ERR_APPLICATION_VERIFICATION) return "client_name_not_allowed";
      return "client_cert_untrusted";
    }
    // Reasons from SSL_AD_REASON_OFFSET on are alerts the peer sent (e.g. it distrusts our certificate).
    if (reason >= SSL_AD_REASON_OFFSET) return "peer_alert";
    switch (reason) {
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_VERSION_TOO_LOW:
      case SSL_R_NO_SHARED_CIPHER:
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
      case SSL_R_UNKNOWN_PROTOCOL:
      case SSL_R_HTTP_REQUEST:
      case SSL_R_RECORD_LENGTH_MISMATCH:
      case SSL_R_PACKET_LENGTH_TOO_LONG: return "protocol";
      default: return "other";
    }
  }

  SSL* ssl_;
  int fd_;
  bool checked_first_byte_ = false;
  std::string_view reason_ = "other";
};

/// Every reason label tls_session and the engine report (pre-created as series).
inline constexpr std::array<std::string_view, 10> tls_failure_reasons{
    "timeout", "not_tls", "protocol", "eof", "no_client_cert", "client_cert_untrusted",
    "client_cert_expired", "client_name_not_allowed", "peer_alert", "other"};

/// TLS credentials and settings; builds sessions for the engine and reloads on change.
class tls_transport final : public http_secure_transport {
 public:
  using reporter = std::function<void(const tls_reload_report&)>;

  /// Loads the files; throws std::invalid_argument naming the file and OpenSSL's reason.
  tls_transport(tls_options options, reporter report) : options_(std::move(options)), report_(std::move(report)) {
    validate();
    std::string error;
    stamps_ = current_stamps();
    auto ctx = build(error);
    if (!ctx) PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: " + error));
    not_after_ = tls_not_after_seconds(SSL_CTX_get0_certificate(ctx.get()));
    ctx_ = std::move(ctx);
    if (options_.reload_check_interval.count() > 0) next_poll_ = http_clock::now() + options_.reload_check_interval;
    if (report_) report_({true, not_after_, {}});
  }

  std::unique_ptr<http_secure_session> open(int fd) override {
    SSL* ssl = nullptr;
    {
      const std::lock_guard lock{mutex_};
      ssl = SSL_new(ctx_.get());  // takes its own reference on the context
    }
    if (ssl == nullptr) PROMCXX_THROW(std::bad_alloc());
    auto session = std::make_unique<tls_session>(ssl, fd);  // owns ssl from here on
    if (SSL_set_fd(ssl, fd) != 1) PROMCXX_THROW(std::bad_alloc());
    SSL_set_accept_state(ssl);
    return session;
  }

  [[nodiscard]] std::chrono::milliseconds handshake_timeout() const noexcept override {
    return options_.handshake_timeout;
  }

  void poll(http_clock::time_point now) noexcept override {
    next_poll_ = now + options_.reload_check_interval;
    PROMCXX_TRY {
      const auto stamps = current_stamps();
      bool changed = false;
      {
        const std::lock_guard lock{mutex_};
        changed = stamps != stamps_;
      }
      if (changed) static_cast<void>(reload());
    } PROMCXX_CATCH_ALL {  // out of memory while reloading: keep serving with what we have
    }
  }

  [[nodiscard]] http_clock::time_point next_poll() const noexcept override { return next_poll_; }

  /// Rereads the files now (any thread). On failure the previous credentials stay in
  /// use and the error is kept for last_error(); returns whether the new ones loaded.
  bool reload() override {
    const std::lock_guard reload_lock{reload_mutex_};
    const auto stamps = current_stamps();
    std::string error;
    auto ctx = build(error);
    tls_reload_report report;
    {
      const std::lock_guard lock{mutex_};
      stamps_ = stamps;  // a bad file is not retried until it changes again
      if (ctx) {
        not_after_ = tls_not_after_seconds(SSL_CTX_get0_certificate(ctx.get()));
        ctx_ = std::move(ctx);
        last_error_.clear();
        report = {true, not_after_, {}};
      } else {
        last_error_ = error;
        report = {false, not_after_, error};
      }
    }
    if (report_) report_(report);
    return report.ok;
  }

  [[nodiscard]] std::string last_error() const override {
    const std::lock_guard lock{mutex_};
    return last_error_;
  }

  [[nodiscard]] double not_after_seconds() const {
    const std::lock_guard lock{mutex_};
    return not_after_;
  }

 private:
  void validate() const {
    if (options_.key_file.empty())
      PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: key_file is required with cert_file"));
    if (options_.min_version != "1.2" && options_.min_version != "1.3")
      PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: min_version must be \"1.2\" or \"1.3\", got \"" +
                                          options_.min_version + "\""));
    if (options_.handshake_timeout.count() <= 0)
      PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: handshake_timeout must be positive"));
    if (options_.reload_check_interval.count() < 0)
      PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: reload_check_interval must not be negative"));
    if (!options_.allowed_client_names.empty() && options_.client_ca_file.empty())
      PROMCXX_THROW(std::invalid_argument("promcxx::http_server: tls: allowed_client_names needs client_ca_file"));
  }

  [[nodiscard]] std::array<tls_file_stamp, 3> current_stamps() const noexcept {
    return {tls_stamp(options_.cert_file), tls_stamp(options_.key_file), tls_stamp(options_.client_ca_file)};
  }

  // Runs at depth 0 after the chain verified: enforces the name allow-list as a
  // verification failure, so the client gets a proper alert.
  static int verify_callback(int preverified, X509_STORE_CTX* store) noexcept {
    if (preverified != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    const auto* self = ssl != nullptr ? static_cast<const tls_transport*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)))
                                      : nullptr;
    if (self == nullptr || self->options_.allowed_client_names.empty()) return 1;
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    for (const auto& name : self->options_.allowed_client_names)
      if (tls_certificate_has_name(cert, name)) return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }

  // A complete context from the files, or null with `error` naming the file and reason.
  ssl_ctx_ptr build(std::string& error) const {
    ERR_clear_error();
    ssl_ctx_ptr ctx{SSL_CTX_new(TLS_server_method())};
    if (!ctx) {
      error = "SSL_CTX_new failed: " + tls_error_text();
      return nullptr;
    }
    SSL_CTX* c = ctx.get();
    SSL_CTX_set_min_proto_version(c, options_.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               // a client hanging up without close_notify is an EOF, as in plain HTTP
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
    // TLS 1.2: forward secrecy and AEAD only; TLS 1.3 suites are all of that already.
    if (SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
      error = "no usable TLS 1.2 cipher: " + tls_error_text();
      return nullptr;
    }
    // Partial writes and moving buffers: the engine retries from its output string, which may grow.
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(c, options_.cert_file.c_str()) != 1) {
      error = "cannot load cert_file \"" + options_.cert_file + "\": " + tls_error_text();
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(c, options_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      error = "cannot load key_file \"" + options_.key_file + "\": " + tls_error_text();
      return nullptr;
    }
    if (SSL_CTX_check_private_key(c) != 1) {
      error = "key_file \"" + options_.key_file + "\" does not match cert_file \"" + options_.cert_file +
              "\": " + tls_error_text();
      return nullptr;
    }
    if (!options_.client_ca_file.empty()) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.client_ca_file.c_str());
      if (names == nullptr || SSL_CTX_load_verify_locations(c, options_.client_ca_file.c_str(), nullptr) != 1) {
        if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
        error = "cannot load client_ca_file \"" + options_.client_ca_file + "\": " + tls_error_text();
        return nullptr;
      }
      SSL_CTX_set_client_CA_list(c, names);  // takes ownership
      SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &verify_callback);
      SSL_CTX_set_app_data(c, const_cast<tls_transport*>(this));
    }
    // Resumed sessions skip certificate checks, so they must stay within this context.
    static constexpr unsigned char session_context[] = "promcxx";
    SSL_CTX_set_session_id_context(c, session_context, sizeof session_context - 1);
    ERR_clear_error();
    return ctx;
  }

  tls_options options_;
  reporter report_;
  mutable std::mutex mutex_;  // guards ctx_, stamps_, not_after_, last_error_
  std::mutex reload_mutex_;   // one reload at a time
  ssl_ctx_ptr ctx_;
  std::array<tls_file_stamp, 3> stamps_{};
  double not_after_ = 0;
  std::string last_error_;
  http_clock::time_point next_poll_ = http_clock::time_point::max();  // loop thread only
};

} // namespace promcxx::detail

#endif // PROMCXX_HAS_OPENSSL

#endif // PROMCXX_DETAIL_HTTP_TLS_HPP
