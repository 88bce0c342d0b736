// Pins each thread of a multi-threaded benchmark to its own CPU for the
// duration of one run, so "2 threads on the same metric" really runs on two
// cores at once (and contends where the design shares memory) instead of
// time-slicing on one core of this shared machine.
#ifndef PROMCXX_BENCH_PIN_THREAD_HPP
#define PROMCXX_BENCH_PIN_THREAD_HPP

#include <benchmark/benchmark.h>

#include <sched.h>  // sched_getaffinity, sched_setaffinity, CPU_* macros

namespace bench {

class pin_thread {
 public:
  explicit pin_thread(const benchmark::State& state) noexcept {
    if (state.threads() < 2 || sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
    const int allowed = CPU_COUNT(&saved_);
    if (allowed < 2) return;
    int wanted = state.thread_index() % allowed;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &saved_) || wanted-- != 0) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
      return;
    }
  }
  // The benchmark's main thread is reused for later runs: give back its CPUs.
  ~pin_thread() {
    if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
  }
  pin_thread(const pin_thread&) = delete;
  pin_thread& operator=(const pin_thread&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

} // namespace bench

#endif // PROMCXX_BENCH_PIN_THREAD_HPP
