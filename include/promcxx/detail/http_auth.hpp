// promcxx: HTTP basic auth against bcrypt hashes (as exporter-toolkit's web config),
// through libcrypt (libxcrypt's crypt_rn verifies "$2a$", "$2b$" and "$2y$").
//
// bcrypt is slow on purpose (tens of milliseconds at cost 10) and runs on the
// responder's thread, so verified credentials are remembered: a cache keyed by a
// salted SHA-256 of "user:password" (never the password itself) answers repeated
// scrapes. Needs PROMCXX_HAS_CRYPT and PROMCXX_HAS_OPENSSL (promcxx_tls_dep);
// without them this header declares nothing.
#ifndef PROMCXX_DETAIL_HTTP_AUTH_HPP
#define PROMCXX_DETAIL_HTTP_AUTH_HPP

#ifndef PROMCXX_HAS_CRYPT
#define PROMCXX_HAS_CRYPT 0  // promcxx_tls_dep (Meson) defines it to 1
#endif
#ifndef PROMCXX_HAS_OPENSSL
#define PROMCXX_HAS_OPENSSL 0
#endif

#if PROMCXX_HAS_CRYPT && PROMCXX_HAS_OPENSSL

#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <new>        // std::bad_alloc
#include <stdexcept>  // std::invalid_argument, std::runtime_error
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"  // PROMCXX_THROW
#include "http_encoding.hpp"
#include "http_engine.hpp"

namespace promcxx::detail {

/// True for a well-formed bcrypt hash: "$2a$", "$2b$" or "$2y$", two cost digits, '$', 53 characters.
inline constexpr bool is_bcrypt_hash(std::string_view hash) noexcept {
  if (hash.size() != 60 || hash.substr(0, 2) != "$2" || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') return false;
  for (const char c : hash.substr(7))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/'))
      return false;
  return true;
}

class bcrypt_authenticator final : public http_authenticator {
 public:
  /// `users` maps user names to bcrypt hashes; throws std::invalid_argument for
  /// anything else (plaintext passwords are refused here).
  explicit bcrypt_authenticator(const std::map<std::string, std::string>& users)
      : users_(users.begin(), users.end()), crypt_(std::make_unique<crypt_data>()) {
    for (const auto& [user, hash] : users_) {
      if (user.empty() || user.find(':') != std::string::npos)
        PROMCXX_THROW(std::invalid_argument("promcxx::http_server: basic_auth_users: user name \"" + user +
                                            "\" must be non-empty and must not contain ':' (RFC 7617)"));
      if (!is_bcrypt_hash(hash))
        PROMCXX_THROW(std::invalid_argument("promcxx::http_server: basic_auth_users[\"" + user +
                                            "\"] is not a bcrypt hash (\"$2b$10$...\", 60 characters); plaintext "
                                            "passwords are not accepted here"));
    }
    if (RAND_bytes(cache_key_.data(), static_cast<int>(cache_key_.size())) != 1)
      PROMCXX_THROW(std::runtime_error("promcxx::http_server: RAND_bytes failed"));
    // Unknown users are checked against this hash too, so timing does not reveal which users exist.
    if (!users_.empty()) dummy_hash_ = users_.front().second;
  }

  bool check(std::string_view authorization) override {
    const auto sp = authorization.find(' ');
    if (sp == std::string_view::npos || !http_iequals(authorization.substr(0, sp), "basic")) return false;
    struct wipe {
      std::string& s;
      ~wipe() {
        for (auto& c : s) c = '\0';
        s.clear();
      }
    } wiper{scratch_};
    if (!http_base64_decode(http_trim_ows(authorization.substr(sp + 1)), scratch_)) return false;
    const auto colon = scratch_.find(':');
    if (colon == std::string::npos || scratch_.find('\0') != std::string::npos) return false;

    std::array<unsigned char, 32> digest{};
    if (!cache_digest(scratch_, digest)) return false;
    for (const auto& entry : cache_)
      if (entry.used && http_constant_time_equal(as_view(entry.digest), as_view(digest))) return entry.ok;

    const std::string_view user{scratch_.data(), colon};
    const std::string* hash = &dummy_hash_;
    bool known = false;
    for (const auto& [name, h] : users_) {
      if (http_constant_time_equal(user, name) && !known) {
        hash = &h;
        known = true;
      }
    }
    scratch_[colon] = '\0';  // crypt_rn wants a C string: the password starts after the colon
    const char* out = crypt_rn(scratch_.c_str() + colon + 1, hash->c_str(), crypt_.get(), sizeof(crypt_data));
    const bool ok = known && out != nullptr && http_constant_time_equal(out, *hash);
    auto& slot = cache_[next_slot_++ % cache_.size()];
    slot = {digest, ok, true};
    return ok;
  }

 private:
  struct cache_entry {
    std::array<unsigned char, 32> digest{};
    bool ok = false;
    bool used = false;
  };

  static std::string_view as_view(const std::array<unsigned char, 32>& a) noexcept {
    return {reinterpret_cast<const char*>(a.data()), a.size()};
  }

  bool cache_digest(std::string_view credentials, std::array<unsigned char, 32>& digest) const noexcept {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    unsigned int length = 0;
    const bool ok = md != nullptr && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(md, cache_key_.data(), cache_key_.size()) == 1 &&
                    EVP_DigestUpdate(md, credentials.data(), credentials.size()) == 1 &&
                    EVP_DigestFinal_ex(md, digest.data(), &length) == 1 && length == digest.size();
    EVP_MD_CTX_free(md);
    return ok;
  }

  std::vector<std::pair<std::string, std::string>> users_;
  std::string dummy_hash_;
  std::unique_ptr<crypt_data> crypt_;  // about 32 KiB of scratch for crypt_rn
  std::array<unsigned char, 32> cache_key_{};
  std::array<cache_entry, 64> cache_{};
  std::size_t next_slot_ = 0;
  std::string scratch_;
};

} // namespace promcxx::detail

#endif // PROMCXX_HAS_CRYPT && PROMCXX_HAS_OPENSSL

#endif // PROMCXX_DETAIL_HTTP_AUTH_HPP
