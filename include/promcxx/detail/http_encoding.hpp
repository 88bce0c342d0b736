// promcxx: content coding (Accept-Encoding, gzip) and basic-auth helpers of the HTTP responder.
#ifndef PROMCXX_DETAIL_HTTP_ENCODING_HPP
#define PROMCXX_DETAIL_HTTP_ENCODING_HPP

#include <climits>  // UINT_MAX
#include <cstddef>
#include <new>        // std::bad_alloc
#include <stdexcept>  // std::length_error, std::runtime_error
#include <string>
#include <string_view>

#include "../config.hpp"  // PROMCXX_THROW
#include "accept.hpp"
#include "http_parser.hpp"

#ifndef PROMCXX_HAS_ZLIB
#define PROMCXX_HAS_ZLIB 0  // the Meson dependency defines it to 1 when zlib is found
#endif
#if PROMCXX_HAS_ZLIB
#include <zlib.h>
#endif

namespace promcxx::detail {

/// Parses a qvalue into thousandths; -1 when malformed. The rule is the one
/// format negotiation uses (detail/accept.hpp).
inline constexpr int http_parse_qvalue(std::string_view s) noexcept { return parse_qvalue(s); }

/// True when the Accept-Encoding value admits gzip at least as much as identity.
/// "gzip;q=0" refuses gzip; "*" covers codings not listed; an element with a
/// malformed q is ignored (the Accept parser's rule, detail/accept.hpp).
inline constexpr bool http_accepts_gzip(std::string_view accept_encoding) noexcept {
  int gzip_q = -1;
  int identity_q = -1;
  int star_q = -1;
  for_each_accept_element(accept_encoding, [&](const accept_element& e) {
    const int q = e.quality;
    if (http_iequals(e.value, "gzip") || http_iequals(e.value, "x-gzip"))
      gzip_q = gzip_q < q ? q : gzip_q;
    else if (http_iequals(e.value, "identity"))
      identity_q = q;
    else if (e.value == "*")
      star_q = q;
  });
  if (gzip_q < 0) gzip_q = star_q;
  if (gzip_q <= 0) return false;
  return identity_q < 0 || gzip_q >= identity_q;
}

/// Comparison whose duration does not depend on where the inputs differ
/// (it depends only on the length of `expected`).
inline bool http_constant_time_equal(std::string_view given, std::string_view expected) noexcept {
  volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0u;
    diff = static_cast<unsigned char>(diff | (g ^ static_cast<unsigned char>(expected[i])));
  }
  return diff == 0;
}

inline constexpr int http_base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/// Decodes standard base64 (padding optional) into out; false when malformed.
inline bool http_base64_decode(std::string_view in, std::string& out) {
  out.clear();
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  unsigned bits = 0;
  int nbits = 0;
  for (const char c : in) {
    const int v = http_base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<unsigned>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<char>((bits >> nbits) & 0xffu));
    }
  }
  return true;
}

/// Checks an Authorization header value against "user:password" (RFC 7617).
/// `scratch` holds the decoded credentials and is wiped afterwards.
inline bool http_basic_auth_matches(std::string_view authorization, std::string_view expected, std::string& scratch) {
  const auto sp = authorization.find(' ');
  if (sp == std::string_view::npos || !http_iequals(authorization.substr(0, sp), "basic")) return false;
  const bool decoded = http_base64_decode(http_trim_ows(authorization.substr(sp + 1)), scratch);
  const bool ok = decoded && http_constant_time_equal(scratch, expected);
  for (auto& c : scratch) c = '\0';
  scratch.clear();
  return ok;
}

#if PROMCXX_HAS_ZLIB
/// Reusable gzip compressor: one zlib stream and no allocation per call once warmed up.
class gzip_compressor {
 public:
  gzip_compressor() = default;
  gzip_compressor(const gzip_compressor&) = delete;
  gzip_compressor& operator=(const gzip_compressor&) = delete;
  ~gzip_compressor() {
    if (initialized_) deflateEnd(&stream_);
  }

  /// Compresses `in` into `out` (cleared first, capacity reused).
  void compress(std::string_view in, std::string& out) {
    if (in.size() >= UINT_MAX / 2) PROMCXX_THROW(std::length_error("promcxx: body too large for gzip"));
    if (!initialized_) {
      // 15 + 16: 32 KiB window with a gzip (not zlib) wrapper; level 1 because
      // scrapes are frequent and exposition text compresses well even at level 1.
      if (deflateInit2(&stream_, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        PROMCXX_THROW(std::bad_alloc());
      initialized_ = true;
    } else if (deflateReset(&stream_) != Z_OK) {
      PROMCXX_THROW(std::runtime_error("promcxx: deflateReset failed"));
    }
    out.resize(deflateBound(&stream_, static_cast<uLong>(in.size())));
    // zlib's API is not const-correct unless ZLIB_CONST is set before <zlib.h>.
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    stream_.avail_in = static_cast<uInt>(in.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    // deflateBound guarantees one Z_FINISH call suffices.
    if (deflate(&stream_, Z_FINISH) != Z_STREAM_END) PROMCXX_THROW(std::runtime_error("promcxx: deflate failed"));
    out.resize(static_cast<std::size_t>(stream_.total_out));
  }

 private:
  z_stream stream_{};
  bool initialized_ = false;
};
#endif

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_HTTP_ENCODING_HPP
