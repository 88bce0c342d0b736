// promcxx: incremental HTTP/1.x request-head parser (no I/O, no allocation
// except when a list header such as Accept is repeated).
#ifndef PROMCXX_DETAIL_HTTP_PARSER_HPP
#define PROMCXX_DETAIL_HTTP_PARSER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace promcxx::detail {

/// Fixed limits of the responder; requests beyond them are refused, never buffered.
inline constexpr std::size_t http_max_uri = 4096;                        // 414 beyond
inline constexpr std::size_t http_max_request_line = http_max_uri + 64;  // method + version slack
inline constexpr std::size_t http_max_header_bytes = 8192;               // header fields, 431 beyond
inline constexpr std::size_t http_max_header_fields = 100;               // 431 beyond
inline constexpr std::size_t http_max_body = 64 * 1024;                  // a scrape has no body; 413 beyond

/// What the server needs from one request head. Views point into the input
/// buffer given to http_request_parser::parse and live as long as it does.
struct http_request {
  std::string_view method;
  std::string_view target;
  std::string_view path;  // target without query or fragment
  int version_minor = 1;  // HTTP/1.x
  bool keep_alive = true;
  bool has_host = false;
  bool has_accept = false;
  bool has_accept_encoding = false;
  std::string_view accept;
  std::string_view accept_encoding;
  std::string_view authorization;
  std::size_t content_length = 0;
  // Backing store when a list header is repeated (joined with ", ").
  std::string accept_storage;
  std::string accept_encoding_storage;

  void clear() noexcept {
    method = target = path = accept = accept_encoding = authorization = {};
    version_minor = 1;
    keep_alive = true;
    has_host = has_accept = has_accept_encoding = false;
    content_length = 0;
    accept_storage.clear();
    accept_encoding_storage.clear();
  }
};

enum class http_parse_state : std::uint8_t { incomplete, complete, error };

struct http_parse_result {
  http_parse_state state = http_parse_state::incomplete;
  std::size_t consumed = 0;  // length of the head when complete
  int status = 0;            // HTTP status to answer with when error
};

inline constexpr bool http_is_tchar(unsigned char c) noexcept {
  // RFC 9110 token characters
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

inline constexpr char http_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality (header names, tokens).
inline constexpr bool http_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (http_lower(a[i]) != http_lower(b[i])) return false;
  return true;
}

inline constexpr std::string_view http_trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110 5.6.1).
template <class F>
constexpr void http_for_each_list_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = http_trim_ows(list.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

/// Parses the request line (without its line terminator).
inline int http_parse_request_line(std::string_view line, http_request& req) noexcept {
  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return 400;
  req.method = line.substr(0, sp1);
  for (const char c : req.method)
    if (!http_is_tchar(static_cast<unsigned char>(c))) return 400;
  const auto rest = line.substr(sp1 + 1);
  const auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) {
    // No version yet: a target that alone exceeds the limit is "too long", not malformed.
    return rest.size() > http_max_uri ? 414 : 400;
  }
  req.target = rest.substr(0, sp2);
  if (req.target.empty()) return 400;
  if (req.target.size() > http_max_uri) return 414;
  for (const char c : req.target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return 400;
  }
  const auto version = rest.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return 400;
  if (version[5] != '1') return 505;
  req.version_minor = version[7] - '0';

  // Request-target forms (RFC 9112 3.2): origin, absolute, asterisk, authority.
  std::string_view path = req.target;
  if (path.front() != '/') {
    const auto scheme_end = path.find("://");
    if (scheme_end != std::string_view::npos &&
        (http_iequals(path.substr(0, scheme_end), "http") || http_iequals(path.substr(0, scheme_end), "https"))) {
      const auto after = path.substr(scheme_end + 3);
      const auto slash = after.find_first_of("/?#");
      path = slash == std::string_view::npos ? std::string_view{"/"} : after.substr(slash);
      if (path.front() != '/') path = "/";
    } else if (path == "*" || req.method == "CONNECT") {
      // asterisk-form (OPTIONS) and authority-form (CONNECT) never match a route
    } else {
      return 400;
    }
  }
  const auto query = path.find_first_of("?#");
  req.path = path.substr(0, query);
  return 0;
}

/// Appends a repeated list header to its storage (", "-joined, RFC 9110 5.3).
inline void http_join_list_header(std::string_view& view, std::string& storage, bool& seen, std::string_view value) {
  if (!seen) {
    view = value;
    seen = true;
    return;
  }
  if (storage.empty()) storage.assign(view);
  storage.append(", ");
  storage.append(value);
  view = storage;
}

inline bool http_parse_digits(std::string_view s, std::size_t& out) noexcept {
  if (s.empty() || s.size() > 18) return false;  // 18 digits cannot overflow 64 bits
  std::size_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  out = v;
  return true;
}

/// Parses one header field line (without its line terminator).
inline int http_parse_field(std::string_view line, http_request& req, bool& connection_close, bool& has_content_length,
                            bool& has_transfer_encoding) {
  if (line.front() == ' ' || line.front() == '\t') return 400;  // obs-fold is rejected (RFC 9112 5.2)
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return 400;
  const auto name = line.substr(0, colon);
  for (const char c : name)
    if (!http_is_tchar(static_cast<unsigned char>(c))) return 400;  // also whitespace before ':'
  const auto value = http_trim_ows(line.substr(colon + 1));
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return 400;
  }

  if (http_iequals(name, "host")) {
    if (req.has_host) return 400;  // RFC 9112 3.2
    req.has_host = true;
  } else if (http_iequals(name, "connection")) {
    http_for_each_list_element(value, [&](std::string_view token) {
      if (http_iequals(token, "close")) connection_close = true;
    });
  } else if (http_iequals(name, "accept")) {
    http_join_list_header(req.accept, req.accept_storage, req.has_accept, value);
  } else if (http_iequals(name, "accept-encoding")) {
    http_join_list_header(req.accept_encoding, req.accept_encoding_storage, req.has_accept_encoding, value);
  } else if (http_iequals(name, "authorization")) {
    if (!req.authorization.empty()) return 400;
    req.authorization = value;
  } else if (http_iequals(name, "content-length")) {
    std::size_t length = 0;
    if (!http_parse_digits(value, length)) return 400;
    if (has_content_length && length != req.content_length) return 400;
    has_content_length = true;
    req.content_length = length;
  } else if (http_iequals(name, "transfer-encoding")) {
    has_transfer_encoding = true;
  }
  return 0;
}

/// Incremental parser for one request head. Feed it the whole input buffered
/// for the current request each time more arrives (the buffer may move, its
/// prefix must not change); scanning resumes where it stopped, so a slow
/// client costs O(bytes), not O(bytes^2). reset() before the next request.
class http_request_parser {
 public:
  void reset() noexcept {
    request_line_end_ = npos;
    scan_ = 0;
    fields_ = 0;
  }

  http_parse_result parse(std::string_view in, http_request& req) {
    if (request_line_end_ == npos) {
      const auto lf = in.find('\n', scan_);
      if (lf == npos) {
        scan_ = in.size();
        if (in.size() > http_max_request_line) return error(oversized_line_status(in));
        return {};
      }
      if (lf > http_max_request_line) return error(oversized_line_status(in));
      req.clear();
      auto request_line = in.substr(0, lf);
      if (!request_line.empty() && request_line.back() == '\r') request_line.remove_suffix(1);
      if (const int status = http_parse_request_line(request_line, req); status != 0) return error(status);
      request_line_end_ = lf + 1;
      scan_ = request_line_end_;
    }
    // Look for the empty line that ends the head, one field line at a time.
    for (;;) {
      const auto lf = in.find('\n', scan_);
      if (lf == npos) {
        // Same bound as below, so feeding in pieces decides exactly like feeding at once.
        if (in.size() - request_line_end_ > http_max_header_bytes + 2) return error(431);
        return {};
      }
      if (lf + 1 - request_line_end_ > http_max_header_bytes + 2) return error(431);
      const auto line_length = lf - scan_;
      if (line_length == 0 || (line_length == 1 && in[scan_] == '\r')) {
        return finish(in, lf + 1, req);
      }
      if (++fields_ > http_max_header_fields) return error(431);
      scan_ = lf + 1;
    }
  }

 private:
  static constexpr std::size_t npos = std::string_view::npos;

  static http_parse_result error(int status) noexcept { return {http_parse_state::error, 0, status}; }

  static int oversized_line_status(std::string_view in) noexcept {
    // "GET /aaaa...": an over-long target gets 414, anything else is garbage.
    const auto sp = in.find(' ');
    if (sp == npos || sp == 0 || sp > 32) return 400;
    for (std::size_t i = 0; i < sp; ++i)
      if (!http_is_tchar(static_cast<unsigned char>(in[i]))) return 400;
    return 414;
  }

  http_parse_result finish(std::string_view in, std::size_t head_end, http_request& req) {
    // Parse the request line again: the buffer may have moved since it was first
    // checked, and every view must point into `in`.
    req.clear();
    auto line = in.substr(0, request_line_end_ - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const int status = http_parse_request_line(line, req); status != 0) return error(status);
    bool connection_close = false;
    bool has_content_length = false;
    bool has_transfer_encoding = false;
    auto pos = request_line_end_;
    while (pos < head_end) {
      const auto lf = in.find('\n', pos);
      auto line = in.substr(pos, lf - pos);
      pos = lf + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;
      if (line.find('\r') != npos) return error(400);  // bare CR (RFC 9112 2.2)
      if (const int status = http_parse_field(line, req, connection_close, has_content_length, has_transfer_encoding);
          status != 0)
        return error(status);
    }
    if (req.version_minor >= 1 && !req.has_host) return error(400);  // RFC 9112 3.2
    if (has_transfer_encoding) return error(501);                    // we never accept request bodies in chunks
    if (req.content_length > http_max_body) return error(413);
    req.keep_alive = req.version_minor >= 1 && !connection_close;
    return {http_parse_state::complete, head_end, 0};
  }

  std::size_t request_line_end_ = npos;  // offset just past the request line
  std::size_t scan_ = 0;                 // where the next line search starts
  std::size_t fields_ = 0;
};

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_HTTP_PARSER_HPP
