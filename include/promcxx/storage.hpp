// promcxx: where counter and histogram values live.
//
// Design: every writer thread has its own 8-byte cells. A series owns a cell
// index; a thread that writes the series writes the cell at that index in its
// own storage, and no other core writes there. So an increment is a plain load,
// add and store (relaxed atomics, or one unlocked add to memory on x86-64; no lock
// prefix, no cache-line ping-pong), close to the cost of a `thread_local` add. A read sums the cell over the threads
// that have written it.
//
// Layout (chosen by measurement, bench/results/latest.md "Scaling"):
// - Cells come in *pages* of 64 (512 bytes). A thread gets a page only when it
//   first writes a cell in it, so memory follows what a thread touches: a thread
//   that writes three families costs a few pages, not a copy of the cell space.
//   Pages come from a small arena, zeroed explicitly: nothing relies on lazily
//   committed memory or overcommit, so it behaves the same on Windows, macOS, the
//   BSDs and Linux with `vm.overcommit_memory=2`.
// - A thread finds its page through a two-level directory (512 x 512 pages =
//   2^24 cells): three dependent loads that stay in L1 on a hot path.
// - Every page also joins the list of pages with the same page number. A read of
//   a cell walks that list, so a scrape costs O(pages threads actually wrote),
//   not O(series x threads): 1,024 threads that each wrote a share of the series
//   cost about what one thread that wrote them all does.
// - A series' cells never straddle a page (the allocator aligns ranges of up to
//   64 cells), so a histogram observation updates its bucket and its sum through
//   one page lookup.
// - A thread's storage outlives the thread: on exit it goes to a free list and
//   the next new thread adopts it, values included. Counts are never lost and a
//   sum never goes backwards.
// - Should memory run out for a private page, the write goes to a shared page
//   updated with atomic read-modify-write: slower, never wrong.
#ifndef PROMCXX_STORAGE_HPP
#define PROMCXX_STORAGE_HPP

#include <atomic>
#include <bit>  // std::bit_cast: doubles are stored as bit patterns in 64-bit cells
#include <cstddef>
#include <cstdint>
#include <cstring>  // std::memset: pages are zeroed when handed out
#include <new>      // std::nothrow, std::align_val_t
#include <vector>

#include "config.hpp"

#ifndef PROMCXX_MAX_CELLS
/// Size of the cell index space (8 bytes a cell, paid only where written):
/// 2^24 cells hold about 16 million counter series or 1.1 million default histograms.
#  define PROMCXX_MAX_CELLS (std::uint32_t{1} << 24)
#endif

namespace promcxx::detail {

using cell = std::atomic<std::uint64_t>;

inline constexpr std::uint32_t page_shift = 6;
inline constexpr std::uint32_t cells_per_page = std::uint32_t{1} << page_shift;  // 512 bytes of cells
inline constexpr std::uint32_t directory_shift = 9;
inline constexpr std::uint32_t pages_per_directory = std::uint32_t{1} << directory_shift;
inline constexpr std::uint32_t cells_per_directory = cells_per_page * pages_per_directory;
inline constexpr std::uint32_t max_cells = PROMCXX_MAX_CELLS;
inline constexpr std::uint32_t directory_count = (max_cells + cells_per_directory - 1) / cells_per_directory;
static_assert(max_cells % cells_per_page == 0, "PROMCXX_MAX_CELLS: must be a multiple of 64 cells (one page)");
static_assert(directory_count <= 4096, "PROMCXX_MAX_CELLS: at most 2^27 cells (4096 directories of 2^15)");

/// Cell index 0 is never handed out: a series whose cells could not be
/// allocated writes there, and nobody reads it.
inline constexpr std::uint32_t discard_cell_block = cells_per_page;

struct alignas(64) cell_page {
  cell cells[cells_per_page];
  const cell_page* next_same_number = nullptr;  // immutable once the page is published
};

/// A thread's map from page number to its own page (null: not written yet).
struct page_directory {
  cell_page* pages[pages_per_directory];
};

/// Hands out zeroed pages and directories from 64 KiB blocks; they are never
/// freed (a thread's storage is kept for the next thread), so this is a bump
/// allocator. Off the hot path: a thread calls it once per page it first writes.
class page_arena {
 public:
  constexpr page_arena() noexcept = default;
  page_arena(const page_arena&) = delete;
  page_arena& operator=(const page_arena&) = delete;

  /// `bytes` zeroed bytes aligned to 64, or nullptr when memory is exhausted.
  void* allocate(std::size_t bytes) noexcept {
    bytes = (bytes + 63) & ~std::size_t{63};
    lock held{mutex_};
    if (bytes > left_) {
      constexpr std::size_t block = std::size_t{64} << 10;
      const std::size_t size = bytes > block ? bytes : block;
      void* memory = ::operator new(size, std::align_val_t{64}, std::nothrow);
      if (memory == nullptr) return nullptr;
      next_ = static_cast<unsigned char*>(memory);
      left_ = size;
      reserved_ += size;
    }
    void* out = next_;
    next_ += bytes;
    left_ -= bytes;
    std::memset(out, 0, bytes);
    return out;
  }

  /// Bytes taken from the heap so far (for the memory report and its test).
  [[nodiscard]] std::size_t reserved_bytes() const noexcept {
    lock held{mutex_};
    return reserved_;
  }

 private:
  mutable mutex mutex_;
  unsigned char* next_ = nullptr;
  std::size_t left_ = 0;
  std::size_t reserved_ = 0;
};

inline constinit page_arena global_page_arena;

/// Per page number, the list of every page with that number (one per thread
/// that wrote it, plus the shared fallback page). Readers walk it without a lock.
class page_lists {
 public:
  constexpr page_lists() noexcept = default;

  [[nodiscard]] const cell_page* first(std::uint32_t page_number) const noexcept {
    const heads* h = directories_[page_number >> directory_shift].load(std::memory_order_acquire);
    return h == nullptr ? nullptr : h->head[page_number & (pages_per_directory - 1)].load(std::memory_order_acquire);
  }

  /// Publishes a new (zeroed) page under its number; false when memory ran out.
  bool link(std::uint32_t page_number, cell_page* page) noexcept;

 private:
  struct heads {
    std::atomic<const cell_page*> head[pages_per_directory];  // zeroed memory: all null
  };
  mutex mutex_;
  std::atomic<heads*> directories_[directory_count]{};
};

inline constinit page_lists global_page_lists;

/// Pages written by several threads with atomic read-modify-write: the fallback
/// when a thread cannot get a private page, and the fractional parts of counters.
class shared_pages {
 public:
  /// `listed`: the pages join the page lists, so sums over threads include them.
  explicit constexpr shared_pages(bool listed) noexcept : listed_{listed} {}

  cell& at(std::uint32_t index) noexcept {
    cell_page* page = pages(index >> page_shift).load(std::memory_order_acquire);
    if (page == nullptr) [[unlikely]] page = make(index >> page_shift);
    return page->cells[index & (cells_per_page - 1)];
  }
  /// The cell, or nullptr when its page was never made (it then reads as 0).
  [[nodiscard]] const cell* find(std::uint32_t index) const noexcept { return existing(index); }
  [[nodiscard]] cell* find(std::uint32_t index) noexcept { return existing(index); }

 private:
  struct directory {
    std::atomic<cell_page*> pages[pages_per_directory];
  };

  cell* existing(std::uint32_t index) const noexcept {
    const directory* d = directories_[index >> (page_shift + directory_shift)].load(std::memory_order_acquire);
    if (d == nullptr) return nullptr;
    cell_page* page = d->pages[(index >> page_shift) & (pages_per_directory - 1)].load(std::memory_order_acquire);
    return page == nullptr ? nullptr : &page->cells[index & (cells_per_page - 1)];
  }

  std::atomic<cell_page*>& pages(std::uint32_t page_number) noexcept {
    std::atomic<directory*>& slot = directories_[page_number >> directory_shift];
    directory* d = slot.load(std::memory_order_acquire);
    if (d == nullptr) [[unlikely]] {
      lock held{mutex_};
      d = slot.load(std::memory_order_relaxed);
      if (d == nullptr) {
        d = static_cast<directory*>(global_page_arena.allocate(sizeof(directory)));
        if (d == nullptr) out_of_memory();
        slot.store(d, std::memory_order_release);
      }
    }
    return d->pages[page_number & (pages_per_directory - 1)];
  }

  cell_page* make(std::uint32_t page_number) noexcept;

  [[noreturn]] static void out_of_memory() noexcept {
    // The last resort of the last resort: with no memory for even one shared page
    // a count would be lost, and losing counts silently is what promcxx never does.
    assert_fail(__FILE__, __LINE__, "promcxx: out of memory for metric cells");
  }

  bool listed_;
  mutex mutex_;
  std::atomic<directory*> directories_[directory_count]{};
};

inline constinit shared_pages global_fallback_pages{true};

/// One writer thread's cells (and, after it exits, the next thread's).
struct slab {
  page_directory* directories[directory_count];
  slab* next_in_all = nullptr;  // every slab ever made (append-only), for counting
  slab* next_free = nullptr;    // slabs whose thread exited
};

/// Directory of a slab with no page there yet, and the slab of a thread that has
/// not written: the hot path then needs one null check (the page), not three.
inline constinit page_directory empty_directory{};

consteval slab make_empty_slab() {
  slab s{};
  for (auto& d : s.directories) d = &empty_directory;
  return s;
}
inline constinit slab empty_slab = make_empty_slab();

class slab_pool {
 public:
  constexpr slab_pool() noexcept = default;
  slab_pool(const slab_pool&) = delete;
  slab_pool& operator=(const slab_pool&) = delete;

  /// Slab for a thread that has none yet: a released one or a new one (nullptr:
  /// out of memory, the thread then writes through the shared fallback).
  slab* acquire() noexcept;

  void release(slab* s) noexcept;

  [[nodiscard]] std::size_t slab_count() const noexcept {
    std::size_t n = 0;
    for (const slab* s = all_.load(std::memory_order_acquire); s != nullptr; s = s->next_in_all) ++n;
    return n;
  }

 private:
  mutex mutex_;
  slab* free_ = nullptr;
  std::atomic<slab*> all_{nullptr};
};

inline constinit slab_pool global_slabs;

/// The calling thread's slab; trivially destructible so the hot path reads it
/// without a TLS init guard, and never null so it needs no null check.
inline constinit thread_local slab* this_thread_slab = &empty_slab;

struct slab_lease {
  slab_lease() = default;
  slab_lease(const slab_lease&) = delete;
  slab_lease& operator=(const slab_lease&) = delete;
  ~slab_lease();
};

/// The calling thread's page with that number, or nullptr when it has none yet.
inline cell_page* own_page(std::uint32_t page_number) noexcept {
  return this_thread_slab->directories[page_number >> directory_shift]->pages[page_number & (pages_per_directory - 1)];
}

/// Gives the calling thread a page (and a slab, a directory) for `page_number`;
/// nullptr when memory ran out.
cell_page* claim_own_page(std::uint32_t page_number) noexcept;

inline cell& in_page(cell_page* page, std::uint32_t index) noexcept {
  return page->cells[index & (cells_per_page - 1)];
}

// Only the owner thread writes its page, so an add is a plain load-add-store;
// readers see the old or the new value. Compilers do not fuse a relaxed atomic
// load and store into one instruction, so on x86-64 the update is written as
// one (unlocked, like the load-store pair: aligned 8-byte accesses are
// single-copy atomic there): two to five fewer instructions per update, a fifth
// of a histogram observation. Sanitizer builds keep the C++ form they can see.
#if defined(__has_feature)
#  if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#    define PROMCXX_DETAIL_SANITIZED 1
#  endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#  define PROMCXX_DETAIL_SANITIZED 1
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(PROMCXX_DETAIL_SANITIZED) && \
    !defined(PROMCXX_NO_INLINE_ASM)
inline void plain_add(cell& c, std::uint64_t delta) noexcept {
  asm("addq %1, %0" : "+m"(c) : "er"(delta));
}
inline void plain_add(cell& c, double delta) noexcept {
  asm("addsd %1, %0\n\tmovsd %0, %1" : "+x"(delta), "+m"(c));
}
#else
inline void plain_add(cell& c, std::uint64_t delta) noexcept {
  c.store(c.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
}
inline void plain_add(cell& c, double delta) noexcept {
  c.store(std::bit_cast<std::uint64_t>(std::bit_cast<double>(c.load(std::memory_order_relaxed)) + delta),
          std::memory_order_relaxed);
}
#endif
inline void atomic_add(cell& c, std::uint64_t delta) noexcept { c.fetch_add(delta, std::memory_order_relaxed); }
inline void atomic_add(cell& c, double delta) noexcept {
  std::uint64_t old = c.load(std::memory_order_relaxed);
  while (!c.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + delta),
                                  std::memory_order_relaxed)) {
  }
}

template <class Delta>
PROMCXX_NOINLINE void add_to_cell_slow(std::uint32_t index, Delta delta) noexcept {
  if (cell_page* page = claim_own_page(index >> page_shift)) plain_add(in_page(page, index), delta);
  else atomic_add(global_fallback_pages.at(index), delta);
}
#if defined(PROMCXX_SEPARATE_COMPILATION)
#  if PROMCXX_DEFINE_SLOW_PATHS
template void add_to_cell_slow<std::uint64_t>(std::uint32_t, std::uint64_t) noexcept;
template void add_to_cell_slow<double>(std::uint32_t, double) noexcept;
#  else
extern template void add_to_cell_slow<std::uint64_t>(std::uint32_t, std::uint64_t) noexcept;
extern template void add_to_cell_slow<double>(std::uint32_t, double) noexcept;
#  endif
#endif

inline void add_to_cell(std::uint32_t index, std::uint64_t delta) noexcept {
  if (cell_page* page = own_page(index >> page_shift)) [[likely]] plain_add(in_page(page, index), delta);
  else add_to_cell_slow(index, delta);
}

inline void add_to_cell(std::uint32_t index, double delta) noexcept {
  if (cell_page* page = own_page(index >> page_shift)) [[likely]] plain_add(in_page(page, index), delta);
  else add_to_cell_slow(index, delta);
}

/// One histogram observation: +1 in the bucket's cell and +v in the sum's cell,
/// with one page lookup for both (a series' cells share a page, see cell_allocator).
inline void record_observation(std::uint32_t bucket_index, std::uint32_t sum_index, double v) noexcept {
  cell_page* page = own_page(bucket_index >> page_shift);
  if (page != nullptr && (bucket_index >> page_shift) == (sum_index >> page_shift)) [[likely]] {
    plain_add(in_page(page, bucket_index), std::uint64_t{1});
    plain_add(in_page(page, sum_index), v);
    return;
  }
  add_to_cell(bucket_index, std::uint64_t{1});
  add_to_cell(sum_index, v);
}

/// The same for a series whose cells fit one page (any range of up to 64 cells
/// does, see cell_allocator): the page is found from the series' first cell,
/// so the lookup does not wait for the bucket search.
inline void record_observation_in_page(std::uint32_t first_cell, std::uint32_t bucket, std::uint32_t sum_offset,
                                       double v) noexcept {
  if (cell_page* page = own_page(first_cell >> page_shift)) [[likely]] {
    cell* cells = page->cells + (first_cell & (cells_per_page - 1));
    plain_add(cells[bucket], std::uint64_t{1});
    plain_add(cells[sum_offset], v);
    return;
  }
  add_to_cell(first_cell + bucket, std::uint64_t{1});
  add_to_cell(first_cell + sum_offset, v);
}

inline std::uint64_t sum_cells_u64(std::uint32_t index) noexcept {
  std::uint64_t total = 0;
  for (const cell_page* p = global_page_lists.first(index >> page_shift); p != nullptr; p = p->next_same_number)
    total += p->cells[index & (cells_per_page - 1)].load(std::memory_order_relaxed);
  return total;
}

inline double sum_cells_double(std::uint32_t index) noexcept {
  double total = 0;
  for (const cell_page* p = global_page_lists.first(index >> page_shift); p != nullptr; p = p->next_same_number)
    total += std::bit_cast<double>(p->cells[index & (cells_per_page - 1)].load(std::memory_order_relaxed));
  return total;
}

/// A histogram series' cells: a count per bucket (`buckets` integer cells from
/// `first`), then its sum split over `histogram_sum_lanes` double cells picked by
/// bucket. Back-to-back observations in different buckets then do not wait for
/// each other's floating-point add: with one sum cell, its load-add-store chain
/// was a third of an observation's time.
inline constexpr std::uint32_t histogram_sum_lanes = 4;

constexpr std::uint32_t histogram_cell_count(std::uint32_t buckets) noexcept { return buckets + histogram_sum_lanes; }
constexpr std::uint32_t histogram_sum_offset(std::uint32_t buckets, std::uint32_t bucket) noexcept {
  return buckets + (bucket & (histogram_sum_lanes - 1));
}

inline double histogram_sum(std::uint32_t first, std::uint32_t buckets) noexcept {
  double sum = 0;
  for (std::uint32_t lane = 0; lane < histogram_sum_lanes; ++lane) sum += sum_cells_double(first + buckets + lane);
  return sum;
}

/// Bucket counts and sum of a histogram series, each summed over every thread.
/// Cells in one page are read in one walk of the page's list, not one per cell.
inline void sum_histogram_cells(std::uint32_t first, std::uint32_t buckets, std::uint64_t* counts, double& sum) noexcept {
  const std::uint32_t last = first + histogram_cell_count(buckets) - 1;
  if ((first >> page_shift) != (last >> page_shift)) {  // more than a page of buckets: cell by cell
    for (std::uint32_t i = 0; i < buckets; ++i) counts[i] = sum_cells_u64(first + i);
    sum = histogram_sum(first, buckets);
    return;
  }
  for (std::uint32_t i = 0; i < buckets; ++i) counts[i] = 0;
  double lanes[histogram_sum_lanes] = {};
  const std::uint32_t offset = first & (cells_per_page - 1);
  for (const cell_page* p = global_page_lists.first(first >> page_shift); p != nullptr; p = p->next_same_number) {
    const cell* cells = p->cells + offset;
    for (std::uint32_t i = 0; i < buckets; ++i) counts[i] += cells[i].load(std::memory_order_relaxed);
    for (std::uint32_t lane = 0; lane < histogram_sum_lanes; ++lane)
      lanes[lane] += std::bit_cast<double>(cells[buckets + lane].load(std::memory_order_relaxed));
  }
  sum = 0;
  for (const double lane : lanes) sum += lane;
}

/// Non-integral counter increments (for example seconds) at the same cell
/// index, shared by every thread and updated with a CAS. Integral increments,
/// the common case, stay in the writer's own cell as integers: an integer add
/// keeps the hot loop out of the floating-point domain (about 6x cheaper here).
class fractional_cells {
 public:
  constexpr fractional_cells() noexcept = default;

  /// Out of line: a CAS on a shared cell either way, and inlined it was most of the
  /// code an `inc(double)` call site compiles.
  void add(std::uint32_t index, double delta) noexcept;
  [[nodiscard]] double read(std::uint32_t index) const noexcept {
    const cell* c = pages_.find(index);
    return c == nullptr ? 0.0 : std::bit_cast<double>(c->load(std::memory_order_relaxed));
  }
  void reset(std::uint32_t first, std::uint32_t count) noexcept {
    for (std::uint32_t i = 0; i < count; ++i)
      if (cell* c = pages_.find(first + i)) c->store(0, std::memory_order_relaxed);
  }

 private:
  shared_pages pages_{false};
};

inline constinit fractional_cells global_fractions;

/// Counter cells: whole increments as integers in the writer's cell (exact up to
/// 2^64 in total, as client_golang keeps them), the rest in the shared fractional cell.
inline void counter_add(std::uint32_t index, double amount) noexcept {
  if (amount < 18446744073709551616.0 && amount == static_cast<double>(static_cast<std::uint64_t>(amount))) [[likely]]
    add_to_cell(index, static_cast<std::uint64_t>(amount));
  else
    global_fractions.add(index, amount);
}

inline double counter_value(std::uint32_t index) noexcept {
  return static_cast<double>(sum_cells_u64(index)) + global_fractions.read(index);
}

/// Sets `count` cells from `first` to zero in every thread's page (a reused range starts at 0).
inline void zero_cells(std::uint32_t first, std::uint32_t count) noexcept {
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t index = first + i;
    for (const cell_page* p = global_page_lists.first(index >> page_shift); p != nullptr; p = p->next_same_number)
      const_cast<cell_page*>(p)->cells[index & (cells_per_page - 1)].store(0, std::memory_order_relaxed);
  }
  global_fractions.reset(first, count);
}

/// Hands out cell ranges to series. A range of up to 64 cells never straddles a
/// page. Freed ranges are zeroed in every thread's page before reuse so a new
/// series starts at 0.
class cell_allocator {
 public:
  constexpr cell_allocator() noexcept = default;

  /// First index of `count` consecutive cells, or 0 (the discard block) when
  /// the cell space is exhausted.
  std::uint32_t allocate(std::uint32_t count) noexcept;

  void release(std::uint32_t first, std::uint32_t count) noexcept;

  [[nodiscard]] std::uint32_t high_water() const noexcept {
    lock held{mutex_};
    return next_;
  }

 private:
  struct range {
    std::uint32_t first;
    std::uint32_t count;
  };

  /// Cells to skip from `first` so that `count` cells (at most a page) end in the same page.
  static constexpr std::uint32_t misalignment(std::uint32_t first, std::uint32_t count) noexcept {
    const std::uint32_t offset = first & (cells_per_page - 1);
    if (count > cells_per_page || offset + count <= cells_per_page) return 0;
    return cells_per_page - offset;
  }

  void keep_free(range r) noexcept;

  mutable mutex mutex_;
  std::uint32_t next_ = discard_cell_block;
  std::vector<range> free_ranges_;
};

PROMCXX_GLOBAL cell_allocator global_cells;

#if PROMCXX_DEFINE_SLOW_PATHS
// Allocation slow paths (new pages, slabs, cell ranges): compiled once in
// src/promcxx.cpp under PROMCXX_SEPARATE_COMPILATION (config.hpp).

PROMCXX_SLOW_PATH bool page_lists::link(std::uint32_t page_number, cell_page* page) noexcept {
  heads* h = directories_[page_number >> directory_shift].load(std::memory_order_acquire);
  if (h == nullptr) [[unlikely]] {
    lock held{mutex_};
    h = directories_[page_number >> directory_shift].load(std::memory_order_relaxed);
    if (h == nullptr) {
      h = static_cast<heads*>(global_page_arena.allocate(sizeof(heads)));
      if (h == nullptr) return false;
      directories_[page_number >> directory_shift].store(h, std::memory_order_release);
    }
  }
  std::atomic<const cell_page*>& head = h->head[page_number & (pages_per_directory - 1)];
  const cell_page* old = head.load(std::memory_order_relaxed);
  do page->next_same_number = old;
  while (!head.compare_exchange_weak(old, page, std::memory_order_release, std::memory_order_relaxed));
  return true;
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE void fractional_cells::add(std::uint32_t index, double delta) noexcept {
  atomic_add(pages_.at(index), delta);
}

PROMCXX_SLOW_PATH PROMCXX_COLD cell_page* shared_pages::make(std::uint32_t page_number) noexcept {
  lock held{mutex_};
  std::atomic<cell_page*>& slot = pages(page_number);
  if (cell_page* page = slot.load(std::memory_order_relaxed)) return page;
  auto* page = static_cast<cell_page*>(global_page_arena.allocate(sizeof(cell_page)));
  if (page == nullptr || (listed_ && !global_page_lists.link(page_number, page))) out_of_memory();
  slot.store(page, std::memory_order_release);
  return page;
}

PROMCXX_SLOW_PATH slab* slab_pool::acquire() noexcept {
  lock held{mutex_};
  if (free_ != nullptr) {
    slab* s = free_;
    free_ = s->next_free;
    s->next_free = nullptr;
    return s;
  }
  auto* s = static_cast<slab*>(global_page_arena.allocate(sizeof(slab)));
  if (s == nullptr) return nullptr;
  for (auto& d : s->directories) d = &empty_directory;
  s->next_in_all = all_.load(std::memory_order_relaxed);
  all_.store(s, std::memory_order_release);  // under mutex_: one writer of the list head
  return s;
}

PROMCXX_SLOW_PATH void slab_pool::release(slab* s) noexcept {
  if (s == nullptr || s == &empty_slab) return;
  lock held{mutex_};
  s->next_free = free_;
  free_ = s;
}

PROMCXX_SLOW_PATH slab_lease::~slab_lease() {
  global_slabs.release(this_thread_slab);
  this_thread_slab = &empty_slab;
}

PROMCXX_SLOW_PATH std::uint32_t cell_allocator::allocate(std::uint32_t count) noexcept {
  if (count == 0) return 0;
  lock held{mutex_};
  for (auto it = free_ranges_.begin(); it != free_ranges_.end(); ++it) {
    const std::uint32_t skip = misalignment(it->first, count);
    if (it->count < skip + count) continue;
    const std::uint32_t first = it->first + skip;
    const range rest{first + count, it->count - skip - count};
    if (skip > 0) it->count = skip;  // the gap before an aligned start stays free
    else free_ranges_.erase(it);
    if (rest.count > 0) keep_free(rest);
    zero_cells(first, count);
    return first;
  }
  const std::uint32_t skip = misalignment(next_, count);
  if (std::uint64_t{skip} + count > max_cells - next_) return 0;
  if (skip > 0) keep_free({next_, skip});
  const std::uint32_t first = next_ + skip;
  next_ = first + count;
  return first;
}

PROMCXX_SLOW_PATH void cell_allocator::release(std::uint32_t first, std::uint32_t count) noexcept {
  if (first == 0 || count == 0) return;
  lock held{mutex_};
  keep_free({first, count});
}

PROMCXX_SLOW_PATH void cell_allocator::keep_free(range r) noexcept {
  PROMCXX_TRY {
    free_ranges_.push_back(r);
  } PROMCXX_CATCH_ALL {
    // Out of memory while freeing: the range is lost for reuse, nothing else.
  }
}

PROMCXX_SLOW_PATH PROMCXX_NOINLINE cell_page* claim_own_page(std::uint32_t page_number) noexcept {
  slab* s = this_thread_slab;
  if (s == &empty_slab) {
    // A write from a thread_local destructor after the lease ended takes a slab
    // that is never returned; its values are still read, so nothing is lost.
    static thread_local slab_lease lease;
    s = global_slabs.acquire();
    if (s == nullptr) return nullptr;
    this_thread_slab = s;
  }
  page_directory*& directory = s->directories[page_number >> directory_shift];
  if (directory == &empty_directory) {
    auto* d = static_cast<page_directory*>(global_page_arena.allocate(sizeof(page_directory)));
    if (d == nullptr) return nullptr;
    directory = d;
  }
  cell_page*& page = directory->pages[page_number & (pages_per_directory - 1)];
  if (page == nullptr) {
    auto* p = static_cast<cell_page*>(global_page_arena.allocate(sizeof(cell_page)));
    if (p == nullptr || !global_page_lists.link(page_number, p)) return nullptr;  // p is arena memory: not freed
    page = p;
  }
  return page;
}

#endif // PROMCXX_DEFINE_SLOW_PATHS

} // namespace promcxx::detail

#endif // PROMCXX_STORAGE_HPP
