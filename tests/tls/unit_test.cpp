// In-process checks of the TLS and bcrypt pieces that need no client: hash
// recognition, the authenticator (cache included), option validation messages.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx/http_server.hpp>

#include <crypt.h>

#include <stdexcept>
#include <string>

namespace {

std::string bcrypt(const char* password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt) != nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password, salt, &data, sizeof data);
  REQUIRE(hash != nullptr);
  return hash;
}

std::string basic(std::string_view credentials) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  std::size_t i = 0;
  for (; i + 2 < credentials.size() + 2; i += 3) {
    unsigned v = static_cast<unsigned char>(credentials[i]) << 16;
    if (i + 1 < credentials.size()) v |= static_cast<unsigned char>(credentials[i + 1]) << 8;
    if (i + 2 < credentials.size()) v |= static_cast<unsigned char>(credentials[i + 2]);
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < credentials.size() ? table[(v >> 6) & 63] : '=';
    out += i + 2 < credentials.size() ? table[v & 63] : '=';
    if (i + 3 >= credentials.size()) break;
  }
  return out;
}

std::string error_of(const promcxx::http_server_options& options) {
  try {
    promcxx::http_server server{options};
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

} // namespace

TEST_CASE("bcrypt: hashes are recognised by shape, plaintext is not") {
  CHECK(promcxx::detail::is_bcrypt_hash(bcrypt("secret")));
  CHECK(promcxx::detail::is_bcrypt_hash("$2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"));
  CHECK_FALSE(promcxx::detail::is_bcrypt_hash("secret"));
  CHECK_FALSE(promcxx::detail::is_bcrypt_hash("$1$abcdefgh$abcdefghijklmnopqrstuv"));  // md5-crypt
  CHECK_FALSE(promcxx::detail::is_bcrypt_hash("$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ0123"));
}

TEST_CASE("bcrypt: the authenticator accepts the password and nothing else, also from its cache") {
  promcxx::detail::bcrypt_authenticator auth{{{"prometheus", bcrypt("s3cret:with colon")}, {"other", bcrypt("x")}}};
  CHECK(basic("Aladdin:open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617's example
  for (int round = 0; round < 2; ++round) {  // the second round answers from the cache
    CHECK(auth.check(basic("prometheus:s3cret:with colon")));
    CHECK_FALSE(auth.check(basic("prometheus:s3cret:with colo")));
    CHECK_FALSE(auth.check(basic("prometheus:")));
    CHECK_FALSE(auth.check(basic("nobody:s3cret:with colon")));
    CHECK_FALSE(auth.check(basic("other:s3cret:with colon")));
    CHECK(auth.check(basic("other:x")));
    CHECK_FALSE(auth.check("Bearer abc"));
    CHECK_FALSE(auth.check("Basic !!!"));
  }
}

TEST_CASE("bcrypt: configuration errors name the rule") {
  CHECK(error_of({.listen = "127.0.0.1:0", .basic_auth_users = {{"u", "plaintext"}}}).find("is not a bcrypt hash") !=
        std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0", .basic_auth_users = {{"a:b", bcrypt("x")}}}).find("must not contain ':'") !=
        std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0",
                  .basic_auth_user = "u",
                  .basic_auth_password = "p",
                  .basic_auth_users = {{"u", bcrypt("x")}}})
            .find("not both") != std::string::npos);
}

TEST_CASE("tls: option errors name the option") {
  CHECK(error_of({.listen = "127.0.0.1:0", .tls = {.key_file = "k.pem"}}).find("need tls.cert_file") !=
        std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0", .tls = {.cert_file = "c.pem"}}).find("key_file is required") !=
        std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0", .tls = {.cert_file = "c.pem", .key_file = "k.pem", .min_version = "1.1"}})
            .find("min_version must be \"1.2\" or \"1.3\"") != std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0",
                  .tls = {.cert_file = "c.pem", .key_file = "k.pem", .allowed_client_names = {"p"}}})
            .find("allowed_client_names needs client_ca_file") != std::string::npos);
  CHECK(error_of({.listen = "127.0.0.1:0", .tls = {.cert_file = "/nonexistent/c.pem", .key_file = "k.pem"}})
            .find("cannot load cert_file \"/nonexistent/c.pem\"") != std::string::npos);
}

TEST_CASE("tls: a plain server has no TLS metrics and reload_tls() says so") {
  promcxx::registry reg;
  promcxx::http_server server{{.listen = "127.0.0.1:0", .registry = &reg}};
  CHECK_FALSE(server.reload_tls());
  CHECK(server.tls_error().empty());
  std::string body;
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, body);
  CHECK(body.find("promcxx_tls_") == std::string::npos);
  CHECK(body.find("promcxx_http_requests_total") != std::string::npos);
}
