// promcxx: where counter and histogram values live.
//
// Design: one *slab* of 8-byte cells per writer thread. A series owns a cell
// index; every slab has a cell at that index, written only by the slab's thread.
// So an increment is a plain load, add and store on memory no other core writes
// (relaxed atomics, no lock prefix, no cache-line ping-pong), close to the
// cost of a `thread_local` add. A scrape sums the series' cell over all slabs.
//
// - Cells of one thread are packed densely: a counter series costs 8 bytes per
//   writer thread, not a padded cache line per shard.
// - A slab is virtual address space reserved with mmap(MAP_NORESERVE); the
//   kernel supplies zeroed pages on first touch, so slabs never grow, copy or
//   allocate on the hot path.
// - A slab outlives its thread: on thread exit it goes to a free list and the
//   next new thread adopts it, values included. Counts are never lost and a sum
//   never goes backwards.
// - Should the kernel refuse a new slab, the thread falls back to one shared
//   slab updated with atomic read-modify-write: slower, never wrong.
#ifndef PROMCXX_STORAGE_HPP
#define PROMCXX_STORAGE_HPP

#include <atomic>
#include <bit>      // std::bit_cast: doubles are stored as bit patterns in 64-bit cells
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(_WIN32)
#include <cstdlib>  // std::calloc: Windows commits reserved memory explicitly, see reserve_cells
#else
#include <sys/mman.h>  // mmap: lazily committed, zero-filled slabs
#endif

#include "config.hpp"

#ifndef PROMCXX_MAX_CELLS
#  if defined(_WIN32)
/// Windows charges a slab's full size against the commit limit (see reserve_cells):
/// 2^21 cells (16 MiB per writer thread) hold about 2 million counter series.
#    define PROMCXX_MAX_CELLS (std::uint32_t{1} << 21)
#  else
/// Cells per slab (8 bytes each, address space only until touched): 2^24 cells
/// hold about 16 million counter series or 1.1 million default histograms.
#    define PROMCXX_MAX_CELLS (std::uint32_t{1} << 24)
#  endif
#endif

namespace promcxx::detail {

using cell = std::atomic<std::uint64_t>;

inline constexpr std::uint32_t max_cells = PROMCXX_MAX_CELLS;
/// Cell index 0 is never handed out: a series whose cells could not be
/// allocated writes there, and nobody reads it.
inline constexpr std::uint32_t discard_cell_block = 64;

/// Zero-filled memory for `bytes` of cells, or nullptr. POSIX: address space
/// only, the kernel supplies zeroed pages on first touch (MAP_NORESERVE where it
/// exists; the BSDs and macOS overcommit anonymous mappings anyway). Windows
/// does not commit reserved pages on touch, so the block is committed up front
/// (calloc of a large block is VirtualAlloc(MEM_COMMIT): charged against the
/// commit limit, physical pages still arrive zeroed on first touch).
inline void* reserve_cells(std::size_t bytes) noexcept {
#if defined(_WIN32)
  return std::calloc(bytes, 1);
#else
#  if defined(MAP_NORESERVE)
  constexpr int no_reserve = MAP_NORESERVE;
#  else
  constexpr int no_reserve = 0;
#  endif
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | no_reserve, -1, 0);
  return memory == MAP_FAILED ? nullptr : memory;
#endif
}

inline void release_cells(void* memory, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(_WIN32)
  std::free(memory);
#else
  ::munmap(memory, bytes);
#endif
}

struct slab {
  cell* cells = nullptr;
  bool shared = false;              // the fallback slab: several writers, so read-modify-write
  slab* next_in_all = nullptr;      // every slab ever made, for scrapes (append-only)
  slab* next_free = nullptr;        // slabs whose thread exited
};

class slab_pool {
 public:
  constexpr slab_pool() noexcept = default;
  slab_pool(const slab_pool&) = delete;
  slab_pool& operator=(const slab_pool&) = delete;

  /// Slab for a thread that has none yet: a released one, a new one, or the shared fallback.
  slab* acquire() noexcept {
    lock held{mutex_};
    if (free_ != nullptr) {
      slab* s = free_;
      free_ = s->next_free;
      s->next_free = nullptr;
      return s;
    }
    if (slab* s = make_slab(false)) return s;
    if (shared_ == nullptr) shared_ = make_slab(true);
    if (shared_ != nullptr) return shared_;
    assert_fail(__FILE__, __LINE__, "cannot reserve address space for a metrics slab");
  }

  void release(slab* s) noexcept {
    if (s == nullptr || s->shared) return;
    lock held{mutex_};
    s->next_free = free_;
    free_ = s;
  }

  /// First slab of the append-only list (acquire pairs with the publishing store).
  [[nodiscard]] const slab* all() const noexcept { return all_.load(std::memory_order_acquire); }

  [[nodiscard]] std::size_t slab_count() const noexcept {
    std::size_t n = 0;
    for (const slab* s = all(); s != nullptr; s = s->next_in_all) ++n;
    return n;
  }

 private:
  slab* make_slab(bool shared) noexcept {
    const std::size_t bytes = std::size_t{max_cells} * sizeof(cell);
    void* memory = reserve_cells(bytes);
    if (memory == nullptr) return nullptr;
    auto* s = new (std::nothrow) slab{};
    if (s == nullptr) {
      release_cells(memory, bytes);
      return nullptr;
    }
    s->cells = static_cast<cell*>(memory);  // zero-filled pages are valid atomics holding 0
    s->shared = shared;
    s->next_in_all = all_.load(std::memory_order_relaxed);
    all_.store(s, std::memory_order_release);  // under mutex_: one writer of the list head
    return s;
  }

  mutex mutex_;
  slab* free_ = nullptr;
  slab* shared_ = nullptr;
  std::atomic<slab*> all_{nullptr};
};

inline constinit slab_pool global_slabs;

/// Non-integral counter increments (for example seconds) at the same cell
/// index, shared by every thread and updated with a CAS. Integral increments,
/// the common case, stay in the writer's own slab as integers: an integer add
/// keeps the hot loop out of the floating-point domain (about 6x cheaper here).
class fractional_cells {
 public:
  constexpr fractional_cells() noexcept = default;

  void add(std::uint32_t index, double delta) noexcept {
    cell& c = get()[index];
    std::uint64_t old = c.load(std::memory_order_relaxed);
    while (!c.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + delta),
                                    std::memory_order_relaxed)) {
    }
  }
  [[nodiscard]] double read(std::uint32_t index) const noexcept {
    const cell* cells = cells_.load(std::memory_order_acquire);
    return cells == nullptr ? 0.0 : std::bit_cast<double>(cells[index].load(std::memory_order_relaxed));
  }
  void reset(std::uint32_t first, std::uint32_t count) noexcept {
    if (cell* cells = cells_.load(std::memory_order_acquire))
      for (std::uint32_t i = 0; i < count; ++i) cells[first + i].store(0, std::memory_order_relaxed);
  }

 private:
  cell* get() noexcept {
    cell* cells = cells_.load(std::memory_order_acquire);
    if (cells == nullptr) [[unlikely]] cells = reserve();
    return cells;
  }
  PROMCXX_NOINLINE cell* reserve() noexcept {
    lock held{mutex_};
    if (cell* cells = cells_.load(std::memory_order_relaxed)) return cells;
    void* memory = reserve_cells(std::size_t{max_cells} * sizeof(cell));
    if (memory == nullptr) assert_fail(__FILE__, __LINE__, "cannot reserve address space for fractional counter cells");
    cells_.store(static_cast<cell*>(memory), std::memory_order_release);
    return static_cast<cell*>(memory);
  }

  mutex mutex_;
  std::atomic<cell*> cells_{nullptr};
};

inline constinit fractional_cells global_fractions;

/// The calling thread's slab; trivially destructible so the hot path reads it
/// without a TLS init guard.
inline constinit thread_local slab* this_thread_slab = nullptr;

struct slab_lease {
  slab_lease() = default;
  slab_lease(const slab_lease&) = delete;
  slab_lease& operator=(const slab_lease&) = delete;
  ~slab_lease() {
    global_slabs.release(this_thread_slab);
    this_thread_slab = nullptr;
  }
};

PROMCXX_NOINLINE inline slab* adopt_slab() noexcept {
  // A write from a thread_local destructor after the lease ended takes a slab
  // that is never returned; its values are still scraped, so nothing is lost.
  static thread_local slab_lease lease;
  this_thread_slab = global_slabs.acquire();
  return this_thread_slab;
}

inline slab* current_slab() noexcept {
  slab* s = this_thread_slab;
  if (s == nullptr) [[unlikely]] s = adopt_slab();
  return s;
}

inline void add_to_cell(std::uint32_t index, std::uint64_t delta) noexcept {
  slab* s = current_slab();
  cell& c = s->cells[index];
  if (s->shared) [[unlikely]] {
    c.fetch_add(delta, std::memory_order_relaxed);
    return;
  }
  c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}

inline void add_to_cell(std::uint32_t index, double delta) noexcept {
  slab* s = current_slab();
  cell& c = s->cells[index];
  if (s->shared) [[unlikely]] {
    std::uint64_t old = c.load(std::memory_order_relaxed);
    while (!c.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + delta),
                                    std::memory_order_relaxed)) {
    }
    return;
  }
  c.store(std::bit_cast<std::uint64_t>(std::bit_cast<double>(c.load(std::memory_order_relaxed)) + delta),
          std::memory_order_relaxed);
}

/// One histogram observation: +1 in the bucket's cell and +v in the sum's cell,
/// with a single slab lookup for both.
inline void record_observation(std::uint32_t bucket_index, std::uint32_t sum_index, double v) noexcept {
  slab* s = current_slab();
  cell& bucket = s->cells[bucket_index];
  cell& sum = s->cells[sum_index];
  if (s->shared) [[unlikely]] {
    bucket.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t old = sum.load(std::memory_order_relaxed);
    while (!sum.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                      std::memory_order_relaxed)) {
    }
    return;
  }
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum.store(std::bit_cast<std::uint64_t>(std::bit_cast<double>(sum.load(std::memory_order_relaxed)) + v),
            std::memory_order_relaxed);
}

inline std::uint64_t sum_cells_u64(std::uint32_t index) noexcept {
  std::uint64_t total = 0;
  for (const slab* s = global_slabs.all(); s != nullptr; s = s->next_in_all)
    total += s->cells[index].load(std::memory_order_relaxed);
  return total;
}

inline double sum_cells_double(std::uint32_t index) noexcept {
  double total = 0;
  for (const slab* s = global_slabs.all(); s != nullptr; s = s->next_in_all)
    total += std::bit_cast<double>(s->cells[index].load(std::memory_order_relaxed));
  return total;
}

/// Counter cells: whole increments as integers in the writer's slab, the rest
/// in the shared fractional cell (exact for whole amounts up to 2^53).
inline void counter_add(std::uint32_t index, double amount) noexcept {
  if (amount < 9007199254740992.0 && amount == static_cast<double>(static_cast<std::uint64_t>(amount))) [[likely]]
    add_to_cell(index, static_cast<std::uint64_t>(amount));
  else
    global_fractions.add(index, amount);
}

inline double counter_value(std::uint32_t index) noexcept {
  return static_cast<double>(sum_cells_u64(index)) + global_fractions.read(index);
}

/// Sets `count` cells from `first` to zero in every slab (a reused range starts at 0).
inline void zero_cells(std::uint32_t first, std::uint32_t count) noexcept {
  for (const slab* s = global_slabs.all(); s != nullptr; s = s->next_in_all)
    for (std::uint32_t i = 0; i < count; ++i) s->cells[first + i].store(0, std::memory_order_relaxed);
  global_fractions.reset(first, count);
}

/// Hands out cell ranges to series. Freed ranges are zeroed in every slab
/// before reuse so a new series starts at 0.
class cell_allocator {
 public:
  constexpr cell_allocator() noexcept = default;

  /// First index of `count` consecutive cells, or 0 (the discard block) when
  /// the cell space is exhausted.
  std::uint32_t allocate(std::uint32_t count) noexcept {
    lock held{mutex_};
    for (auto it = free_ranges_.begin(); it != free_ranges_.end(); ++it) {
      if (it->count < count) continue;
      const std::uint32_t first = it->first;
      it->first += count;
      it->count -= count;
      if (it->count == 0) free_ranges_.erase(it);
      zero_cells(first, count);
      return first;
    }
    if (count > max_cells - next_) return 0;
    const std::uint32_t first = next_;
    next_ += count;
    return first;
  }

  void release(std::uint32_t first, std::uint32_t count) noexcept {
    if (first == 0 || count == 0) return;
    lock held{mutex_};
    PROMCXX_TRY {
      free_ranges_.push_back({first, count});
    } PROMCXX_CATCH_ALL {
      // Out of memory while freeing: the range is lost for reuse, nothing else.
    }
  }

  [[nodiscard]] std::uint32_t high_water() const noexcept {
    lock held{mutex_};
    return next_;
  }

 private:
  struct range {
    std::uint32_t first;
    std::uint32_t count;
  };
  mutable mutex mutex_;
  std::uint32_t next_ = discard_cell_block;
  std::vector<range> free_ranges_;
};

inline constinit cell_allocator global_cells;

} // namespace promcxx::detail

#endif // PROMCXX_STORAGE_HPP
