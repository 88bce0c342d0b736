// libFuzzer target for the HTTP request parser and the header-value helpers.
// Checks, beyond "no crash / no UB": feeding the input in pieces decides exactly
// like feeding it at once, and every view the parser returns lies in its input.
#include <promcxx/detail/http_encoding.hpp>
#include <promcxx/detail/http_parser.hpp>

#include <algorithm>  // std::min
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace promcxx::detail;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

bool inside_any(std::string_view part, std::string_view whole, const std::string& storage) {
  return inside(part, whole) || inside(part, storage);
}

void check_views(const http_request& req, std::string_view in) {
  check(inside(req.method, in));
  check(inside(req.target, in));
  check(inside(req.path, in) || req.path == "/");
  check(inside_any(req.accept, in, req.accept_storage));
  check(inside_any(req.accept_encoding, in, req.accept_encoding_storage));
  check(inside(req.authorization, in));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // First byte: chunk size for the incremental run (1..256).
  const std::size_t chunk = static_cast<std::size_t>(data[0]) + 1;
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);

  http_request_parser whole_parser;
  http_request whole_req;
  const auto whole = whole_parser.parse(input, whole_req);
  check(whole.consumed <= input.size());
  if (whole.state == http_parse_state::complete) {
    check(whole.consumed >= 2);
    check(input[whole.consumed - 1] == '\n');
    check_views(whole_req, input);
    check(whole_req.content_length <= http_max_body);
    check(!whole_req.method.empty() && !whole_req.target.empty());
  } else if (whole.state == http_parse_state::error) {
    check(whole.status >= 400 && whole.status <= 505);
  }

  // Incremental: each call sees a longer prefix, copied into a fresh buffer
  // so stale views into an old buffer would be caught by check_views/ASan.
  http_request_parser inc_parser;
  http_request inc_req;
  http_parse_result inc{};
  for (std::size_t end = std::min(chunk, input.size());; end = std::min(end + chunk, input.size())) {
    const std::string prefix = input.substr(0, end);
    inc = inc_parser.parse(prefix, inc_req);
    if (inc.state == http_parse_state::complete) {
      check_views(inc_req, prefix);
      check(inc_req.path == whole_req.path);
      check(inc_req.accept == whole_req.accept);
      check(inc_req.keep_alive == whole_req.keep_alive);
    }
    if (inc.state != http_parse_state::incomplete || end == input.size()) break;
  }
  check(inc.state == whole.state);
  check(inc.status == whole.status);
  check(inc.consumed == whole.consumed);

  // Header-value helpers on arbitrary text.
  const std::string_view text{input};
  static_cast<void>(http_accepts_gzip(text));
  std::string scratch;
  const bool ok = http_basic_auth_matches(text, "user:pass", scratch);
  check(!ok || text.size() >= 6);
  check(scratch.empty());
  std::string decoded;
  if (http_base64_decode(text, decoded)) check(decoded.size() <= text.size());
  return 0;
}
