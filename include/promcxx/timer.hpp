// promcxx: scope timers and in-flight tracking over any metric handle.
//
//     {
//       auto t = promcxx::start_timer(request_seconds);   // histogram, summary or gauge
//       auto g = promcxx::track_inprogress(in_flight);    // gauge: +1 now, -1 on scope exit
//       handle();
//     }   // observes (or, for a gauge, sets) the elapsed seconds, then decrements
//
// Both work on whatever has `observe(double)`, `set(double)` or `inc()`/`dec()`:
// a metric object is referred to (it must outlive the guard), a handle passed
// as a temporary, such as `h.labels("get")`, is kept by value. The clock is
// std::chrono::steady_clock, so wall-clock jumps never produce negative or
// inflated durations. Nothing here allocates.
#ifndef PROMCXX_TIMER_HPP
#define PROMCXX_TIMER_HPP

#include <chrono>
#include <type_traits>
#include <utility>

namespace promcxx {

namespace detail {

template <class H>
concept observes_double = requires(H& h, double v) { h.observe(v); };
template <class H>
concept sets_double = requires(H& h, double v) { h.set(v); };
template <class H>
concept counts_up_and_down = requires(H& h) {
  h.inc();
  h.dec();
};

} // namespace detail

/// Records the seconds since construction into its target once: at `stop()`
/// or, if never stopped or cancelled, when destroyed. `Target` is a reference
/// (a metric object) or a handle type held by value.
template <class Target>
class scoped_timer {
  using target_type = std::remove_reference_t<Target>;
  static_assert(detail::observes_double<target_type> || detail::sets_double<target_type>,
                "promcxx::start_timer: the target needs observe(double) (histogram, summary) or set(double) (gauge)");

 public:
  using clock = std::chrono::steady_clock;

  explicit scoped_timer(Target target) noexcept(std::is_nothrow_constructible_v<Target, Target&&>)
      : target_(std::forward<Target>(target)), start_(clock::now()) {}
  scoped_timer(scoped_timer&& other) noexcept(std::is_nothrow_constructible_v<Target, Target&&>)
      : target_(std::forward<Target>(other.target_)), start_(other.start_), recorded_(other.recorded_),
        armed_(std::exchange(other.armed_, false)) {}
  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;
  scoped_timer& operator=(scoped_timer&&) = delete;
  ~scoped_timer() {
    if (armed_) stop();
  }

  /// Records the elapsed seconds and returns them; later calls record nothing
  /// and return the first result (0 after cancel()).
  double stop() {
    if (!armed_) return recorded_;
    armed_ = false;
    recorded_ = elapsed();
    if constexpr (detail::observes_double<target_type>) target_.observe(recorded_);
    else target_.set(recorded_);
    return recorded_;
  }

  /// Disarms the timer: nothing is recorded (for example on an error path).
  void cancel() noexcept { armed_ = false; }

  /// Seconds since construction, without recording them.
  [[nodiscard]] double elapsed() const noexcept {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }

 private:
  Target target_;
  clock::time_point start_;
  double recorded_ = 0;
  bool armed_ = true;
};

/// Increments its target now and decrements it once when destroyed (or at `done()`).
template <class Target>
class inprogress_tracker {
  using target_type = std::remove_reference_t<Target>;
  static_assert(detail::counts_up_and_down<target_type>,
                "promcxx::track_inprogress: the target needs inc() and dec() (a gauge)");

 public:
  explicit inprogress_tracker(Target target) : target_(std::forward<Target>(target)) { target_.inc(); }
  inprogress_tracker(inprogress_tracker&& other) noexcept(std::is_nothrow_constructible_v<Target, Target&&>)
      : target_(std::forward<Target>(other.target_)), armed_(std::exchange(other.armed_, false)) {}
  inprogress_tracker(const inprogress_tracker&) = delete;
  inprogress_tracker& operator=(const inprogress_tracker&) = delete;
  inprogress_tracker& operator=(inprogress_tracker&&) = delete;
  ~inprogress_tracker() { done(); }

  /// Decrements now instead of at scope exit; later calls do nothing.
  void done() {
    if (!armed_) return;
    armed_ = false;
    target_.dec();
  }

 private:
  Target target_;
  bool armed_ = true;
};

/// Starts a timer on a histogram, summary or gauge (object or handle).
template <class H>
[[nodiscard]] scoped_timer<H> start_timer(H&& target) {
  return scoped_timer<H>(std::forward<H>(target));
}

/// Counts the caller as in progress on a gauge (object or handle) until scope exit.
template <class H>
[[nodiscard]] inprogress_tracker<H> track_inprogress(H&& target) {
  return inprogress_tracker<H>(std::forward<H>(target));
}

} // namespace promcxx

#endif // PROMCXX_TIMER_HPP
