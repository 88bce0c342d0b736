// promcxx: gauges and counters whose values are computed at scrape time.
//
//     promcxx::gauge_func<"queue_depth", "Items waiting."> depth{reg, [&] { return queue.size(); }};
//     promcxx::counter_func<"pool_acquired_total", "Connections handed out.", promcxx::labels<"pool">> acquired{
//         reg, [&](auto& out) { out(pool_a.acquired(), "a"); out(pool_b.acquired(), "b"); }};
//     promcxx::callback_family queues{reg, promcxx::metric_type::gauge, name_from_config, "Depth.", {"queue"},
//         [&](promcxx::callback_sink& out) { for (auto& q : queues) out(q.depth(), q.name()); }};
//
// Like client_golang's GaugeFunc/CounterFunc and client_java's GaugeWithCallback.
// Each is a collector, so the callable runs under the registry's lock during
// every scrape: keep it quick, and never touch the same registry from it. What
// a callback gets wrong is dropped and counted in promcxx_collect_errors_total
// and the scrape goes on: an exception (the series emitted before it stay), a
// counter value that is negative or NaN, label values of the wrong number or
// not UTF-8. A steady scrape allocates nothing here (label values are passed
// as string views; the snapshot reuses its capacity).
#ifndef PROMCXX_CALLBACK_HPP
#define PROMCXX_CALLBACK_HPP

#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "fixed_string.hpp"
#include "names.hpp"
#include "detail/peer_options.hpp"
#include "collect.hpp"  // collect_sink, registry::collect

namespace promcxx {

/// Handed to a labelled callback: call it once per series with the value and
/// the label values, in the order the label names were declared.
class callback_sink {
 public:
  callback_sink(collect_sink& sink, std::span<const std::string_view> label_names) noexcept
      : sink_(sink), names_(label_names) {}

  template <class Value, class... LabelValues>
    requires std::convertible_to<Value, double> && (std::convertible_to<const LabelValues&, std::string_view> && ...)
  void operator()(Value value, const LabelValues&... label_values) {
    if (sizeof...(LabelValues) != names_.size()) return sink_.count_error();
    std::array<label_pair, sizeof...(LabelValues)> pairs;
    std::size_t i = 0;
    ((pairs[i] = label_pair{names_[i], std::string_view(label_values)}, ++i), ...);
    sink_.sample(std::span<const label_pair>(pairs.data(), pairs.size()), static_cast<double>(value));
  }

 private:
  collect_sink& sink_;
  std::span<const std::string_view> names_;
};

namespace detail {

/// The one rule set for a callback family's name, checked at compile time by
/// the descriptor forms and at run time by callback_family.
constexpr const char* callback_family_problem(bool counter, std::string_view name, std::string_view help,
                                              std::span<const std::string_view> label_names) noexcept {
  if (!is_metric_name(name)) return "metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*";
  if (counter && !has_suffix(name, "_total")) return "a counter's name must end in _total";
  if (!counter && has_suffix(name, "_total")) return "only counters' names end in _total";
  if (has_reserved_suffix(name)) return "names ending in _bucket, _count or _sum are reserved";
  if (help.empty() || !is_valid_utf8(help)) return "help text must be non-empty valid UTF-8";
  if (!label_names_ok(label_names)) return "label names must be valid, unreserved and distinct";
  return nullptr;
}

template <class F>
void run_callback(collect_sink& sink, const F& f, std::span<const std::string_view> label_names) {
  callback_sink out{sink, label_names};
  PROMCXX_TRY {
    if constexpr (std::is_invocable_v<const F&, callback_sink&>) {
      f(out);
    } else {
      out(static_cast<double>(f()));
    }
  } PROMCXX_CATCH_ALL {
    sink.count_error();  // a throwing callback loses its value, never the scrape
  }
}

} // namespace detail

/// A gauge read from a callable at every scrape; the callable returns the
/// value, or (with `labels<...>`) takes a `callback_sink&` and calls it once
/// per series. Registers in the constructor, unregisters in the destructor.
template <fixed_string Name, fixed_string Help, class Labels = void>
class gauge_func;
template <fixed_string Name, fixed_string Help, class Labels = void>
class counter_func;

namespace detail {
template <metric_type Type, fixed_string Name, fixed_string Help, class Labels>
class callback_metric : public collector {
  static constexpr auto& label_names = label_names_of<Labels>::names;
  static_assert(std::is_same_v<Labels, void> || !label_names.empty(),
                "promcxx::gauge_func/counter_func: the third argument, if any, is promcxx::labels<...>");
  static_assert(callback_family_problem(Type == metric_type::counter, Name.view(), Help.view(), label_names) == nullptr,
                "promcxx::gauge_func/counter_func: invalid descriptor (name, _total suffix, help or labels)");

 public:
  template <class F>
  callback_metric(registry& reg, F f) {
    static_assert(label_names.empty() || std::is_invocable_v<const F&, callback_sink&>,
                  "promcxx::gauge_func: a labelled callback takes a callback_sink& and calls it once per series");
    if constexpr (std::is_invocable_v<const F&, callback_sink&>) {
      f_ = std::move(f);
    } else {
      static_assert(std::is_convertible_v<std::invoke_result_t<const F&>, double>,
                    "promcxx::gauge_func: the callback returns a number, or takes a callback_sink&");
      f_ = [g = std::move(f)](callback_sink& out) { out(static_cast<double>(g())); };
    }
    reg.add(*this);
  }
  void collect(collect_sink& sink) const override {
    if (!sink.family(Name.view(), Help.view(), Type)) return;
    run_callback(sink, f_, label_names);
  }

 private:
  std::function<void(callback_sink&)> f_;  // set once, before registration
};
} // namespace detail

template <fixed_string Name, fixed_string Help, class Labels>
class gauge_func final : public detail::callback_metric<metric_type::gauge, Name, Help, Labels> {
 public:
  using detail::callback_metric<metric_type::gauge, Name, Help, Labels>::callback_metric;
  template <class G>
  explicit gauge_func(G g) : gauge_func(default_registry(), std::move(g)) {}
};

/// A counter read from a callable at every scrape (see gauge_func). A value
/// that is negative or NaN is dropped and counted.
template <fixed_string Name, fixed_string Help, class Labels>
class counter_func final : public detail::callback_metric<metric_type::counter, Name, Help, Labels> {
 public:
  using detail::callback_metric<metric_type::counter, Name, Help, Labels>::callback_metric;
  template <class G>
  explicit counter_func(G g) : counter_func(default_registry(), std::move(g)) {}
};

/// A callback gauge or counter whose name, help and labels are known only at
/// run time (from configuration, say). Throws std::invalid_argument, naming
/// promcxx::callback_family and the rule, on an invalid descriptor.
class callback_family final : public collector {
 public:
  callback_family(registry& reg, metric_type type, std::string name, std::string help,
                  std::initializer_list<std::string_view> label_names, std::function<void(callback_sink&)> f)
      : type_(type), name_(std::move(name)), help_(std::move(help)), f_(std::move(f)) {
    for (const auto n : label_names) label_storage_.emplace_back(n);
    init(reg);
  }
  callback_family(registry& reg, metric_type type, std::string name, std::string help, std::function<double()> f)
      : type_(type), name_(std::move(name)), help_(std::move(help)) {
    if (!f) PROMCXX_THROW(std::invalid_argument("promcxx::callback_family: empty callback"));
    f_ = [g = std::move(f)](callback_sink& out) { out(g()); };
    init(reg);
  }

  void collect(collect_sink& sink) const override {
    if (!sink.family(name_, help_, type_)) return;
    detail::run_callback(sink, f_, label_views_);
  }

 private:
  void init(registry& reg) {
    if (type_ != metric_type::gauge && type_ != metric_type::counter)
      PROMCXX_THROW(std::invalid_argument("promcxx::callback_family: the type must be gauge or counter"));
    if (!f_) PROMCXX_THROW(std::invalid_argument("promcxx::callback_family: empty callback"));
    for (const auto& n : label_storage_) label_views_.emplace_back(n);
    if (const char* problem = detail::callback_family_problem(type_ == metric_type::counter, name_, help_, label_views_))
      PROMCXX_THROW(std::invalid_argument("promcxx::callback_family: \"" + name_ + "\": " + problem));
    reg.add(*this);
  }

  metric_type type_;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_storage_;
  std::vector<std::string_view> label_views_;
  std::function<void(callback_sink&)> f_;
};

} // namespace promcxx

#endif // PROMCXX_CALLBACK_HPP
