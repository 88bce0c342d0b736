// A cron job that leaves its metrics for node_exporter's textfile collector.
//   textfile DIR   (node_exporter --collector.textfile.directory=DIR)
#include <cstdio>
#include <exception>

#include <promcxx.hpp>
#include <promcxx/textfile.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: textfile DIR\n");
    return 2;
  }
  promcxx::registry reg;
  promcxx::gauge<"cron_cleanup_removed_files", "Files the last cleanup removed."> removed{reg};
  removed.set(42);
  try {
    promcxx::write_textfile(reg, argv[1], "cron_cleanup");  // DIR/cron_cleanup.prom, replaced atomically
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
