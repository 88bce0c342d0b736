// promcxx: a Pushgateway client, for batch jobs that end before a scrape.
//
//     promcxx::pusher p{"http://127.0.0.1:9091", "nightly_backup"};
//     p.grouping("instance", "db1").timeout(std::chrono::seconds(5));
//     p.push(registry);       // PUT: replaces the whole group
//     p.pushadd(registry);    // POST: replaces only the families pushed
//     p.delete_group();       // DELETE: removes the group
//
// The body is text format 0.0.4, which every Pushgateway version accepts.
// Grouping-key values go into the URL path as the Pushgateway documents: a
// value that is empty or contains '/' is sent in the `name@base64/<base64url>`
// form (an empty one as `=`), any other is percent-encoded.
#ifndef PROMCXX_PUSH_HPP
#define PROMCXX_PUSH_HPP

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/blocking_client.hpp"
#include "exposition.hpp"
#include "names.hpp"
#include "registry.hpp"

namespace promcxx {

/// A Pushgateway answered with a status other than 2xx.
class push_error : public std::runtime_error {
 public:
  push_error(const std::string& what, int status, std::string body)
      : std::runtime_error(what), status_(status), body_(std::move(body)) {}
  [[nodiscard]] int status() const noexcept { return status_; }
  [[nodiscard]] const std::string& body() const noexcept { return body_; }

 private:
  int status_;
  std::string body_;
};

namespace detail {

/// RFC 4648 section 5 alphabet, with or without '=' padding.
inline std::string base64_encode(std::string_view in, bool url_alphabet, bool pad) {
  const char* alphabet = url_alphabet ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                      : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (rest == 2) out += alphabet[(n >> 6) & 63];
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
inline void append_path_escaped(std::string& out, std::string_view value) {
  constexpr char hex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_ascii_letter(ch) || is_ascii_digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

/// One `/name/value` path pair of a grouping key.
inline void append_grouping_pair(std::string& out, std::string_view name, std::string_view value) {
  out += '/';
  out.append(name);
  if (value.empty()) {
    out.append("@base64/=");
  } else if (value.find('/') != std::string_view::npos) {
    out.append("@base64/");
    out.append(base64_encode(value, true, false));
  } else {
    out += '/';
    append_path_escaped(out, value);
  }
}

} // namespace detail

/// Pushes a registry to one group of a Pushgateway. Not thread safe: one
/// pusher per thread, or a lock around it. Every call blocks at most for the
/// timeout and throws push_error on a non-2xx answer, or
/// detail::http_transport_error (a std::runtime_error) when the gateway
/// cannot be reached.
class pusher {
 public:
  /// `url` is `http://host:port` with an optional path prefix; `job` must not be empty.
  pusher(std::string_view url, std::string_view job) : url_(detail::parse_http_url(url, "promcxx::push")) {
    if (job.empty()) throw std::invalid_argument("promcxx::push: the job name must not be empty");
    if (!detail::is_valid_utf8(job)) throw std::invalid_argument("promcxx::push: the job name is not valid UTF-8");
    job_ = std::string(job);
    base_url_ = std::string(url);
    while (base_url_.ends_with('/')) base_url_.pop_back();
  }

  /// Adds a grouping-key label (besides `job`). Throws std::invalid_argument
  /// on an invalid or reserved name, `job`, a repeated name or invalid UTF-8.
  pusher& grouping(std::string_view name, std::string_view value) {
    if (!detail::is_label_name(name) || detail::is_reserved_label_name(name))
      throw std::invalid_argument("promcxx::push: invalid grouping label name \"" + std::string(name) + "\"");
    if (name == "job") throw std::invalid_argument("promcxx::push: the job is given to the constructor, not as grouping");
    for (const auto& g : grouping_)
      if (g.first == name)
        throw std::invalid_argument("promcxx::push: grouping label \"" + std::string(name) + "\" given twice");
    if (!detail::is_valid_utf8(value))
      throw std::invalid_argument("promcxx::push: grouping label \"" + std::string(name) + "\" is not valid UTF-8");
    grouping_.emplace_back(name, value);
    return *this;
  }

  /// HTTP basic authentication for every request.
  pusher& basic_auth(std::string_view user, std::string_view password) {
    std::string credentials{user};
    credentials += ':';
    credentials.append(password);
    auth_header_ = "Authorization: Basic " + detail::base64_encode(credentials, false, true) + "\r\n";
    return *this;
  }

  /// Upper bound for a whole request: connect, send and read the answer (default 10 s).
  pusher& timeout(std::chrono::milliseconds t) {
    if (t.count() <= 0) throw std::invalid_argument("promcxx::push: the timeout must be positive");
    timeout_ = t;
    return *this;
  }

  /// PUT: the group afterwards holds exactly the families of `reg`.
  void push(registry& reg) { send("PUT", "promcxx::push", &reg); }
  /// POST: replaces only the families of `reg` within the group.
  void pushadd(registry& reg) { send("POST", "promcxx::pushadd", &reg); }
  /// DELETE: removes every family of the group.
  void delete_group() { send("DELETE", "promcxx::delete_group", nullptr); }

  /// The request path for this group, as sent (for logs and tests).
  [[nodiscard]] std::string group_path() const {
    std::string target = url_.path + "/metrics";
    detail::append_grouping_pair(target, "job", job_);
    for (const auto& [name, value] : grouping_) detail::append_grouping_pair(target, name, value);
    return target;
  }

 private:
  void send(std::string_view method, std::string_view api, registry* reg) {
    std::string body;
    std::string headers = auth_header_;
    if (reg != nullptr) {
      render(*reg, exposition_format::text_0_0_4, body);
      headers.append("Content-Type: ").append(text_content_type).append("\r\n");
    }
    const std::string target = group_path();
    const auto response = detail::blocking_client::request(url_, method, target, headers, body, timeout_, api);
    if (response.status >= 200 && response.status < 300) return;
    std::string excerpt = response.body.substr(0, 300);
    while (!excerpt.empty() && (excerpt.back() == '\n' || excerpt.back() == '\r')) excerpt.pop_back();
    throw push_error(std::string(api) + ": " + std::string(method) + " " + base_url_ + target.substr(url_.path.size()) +
                         " answered HTTP " + std::to_string(response.status) +
                         (excerpt.empty() ? std::string() : ": " + excerpt),
                     response.status, response.body);
  }

  detail::http_url url_;
  std::string base_url_;
  std::string job_;
  std::vector<std::pair<std::string, std::string>> grouping_;
  std::string auth_header_;
  std::chrono::milliseconds timeout_{10000};
};

} // namespace promcxx

#endif // PROMCXX_PUSH_HPP
