// A batch job that pushes its results to a Pushgateway before it exits.
//   push [http://127.0.0.1:9091]
#include <chrono>
#include <cstdio>
#include <exception>

#include <promcxx.hpp>
#include <promcxx/push.hpp>

int main(int argc, char** argv) {
  promcxx::registry reg;
  promcxx::gauge<"backup_last_success_timestamp_seconds", "When the last backup finished."> last{reg};
  promcxx::counter<"backup_files_total", "Files backed up."> files{reg};
  files.inc(1234);
  last.set(static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()));
  try {
    promcxx::pusher p{argc > 1 ? argv[1] : "http://127.0.0.1:9091", "nightly_backup"};
    p.grouping("instance", "db-1").timeout(std::chrono::seconds(5));
    p.push(reg);  // PUT: the group now holds exactly these two families
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());  // e.g. "promcxx::push: PUT ... answered HTTP 400: ..."
    return 1;
  }
  return 0;
}
